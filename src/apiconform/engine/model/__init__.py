"""The run model: one API under test (ApiRun), its replies (Exchange), request plan, stop state,
events, discovery, verdicts and record comparisons. It builds on the transport and the contract, never
on the checks, the session or the pytest door."""
