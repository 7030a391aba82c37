"""The use cases every front-end shares (the CLI on a store, the server's API): queue,
cancel and retry a run (runs), apply a workflow (workflows), decide an approval
(approvals), pause, resume, drain or stop a pipeline (pipelines), define, start and
move state machines (machines). Each takes the store and what else it needs (the time,
an id maker) as parameters; none knows HTTP or argparse. Refusals: service.errors."""
