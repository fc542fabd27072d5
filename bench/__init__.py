"""`make bench`: numbers-demo measured on one machine, as ratios taken within one run.

One job per module:

    __main__       the run: sections, the printed table, results.json and results.md
    http_stack     throughput (wrk) of nginx, the bare WSGI app, numbers-api and web, and
                   latency at a constant rate (vegeta), for the programs on this host
    servers        those servers: gunicorn as the containers run it, and nginx, on 127.0.0.1
    wrk            runs wrk and parses its report
    vegeta         builds vegeta, the constant-rate (open-loop) load generator, runs it, reads it
    cpu            CPU time from /proc: ours, and the machine's other load
    events         the chapter's events, played by scenario.steps on its Docker backend
    resources      container memory, image size over the base, start to ready
    goals          issues 6 and 13's goals applied to the figures: one row each, met or missed
    report         rows as a table, markdown and JSON
    machine        what the run was measured on
    tuning         `--tune`: gunicorn settings compared
    bare_wsgi, gunicorn_bare_conf, gunicorn_variant_conf   the apps and settings compared

docs/benchmarks.md explains how to read the results and why the defaults are what they are.
"""
