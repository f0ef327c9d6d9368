import sys

from apiconform.cli import main

sys.exit(main())
