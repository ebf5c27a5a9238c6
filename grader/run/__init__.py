"""Running a submission on a cluster: the plan, the statement runner, its session and watchdog."""
