"""A minimal Django REST framework + django-filter app, the e2e tier's second independent list server
(issue 25). The app's code is ours and small; the paging, filtering and ordering are DRF's and
django-filter's, as pinned in constraints.txt. Its specs are in examples/drf/."""
