"""gunicorn's settings for the Procfile's `web` process (`--config python:cips.gunicorn_conf`).

Logging: gunicorn's own records and the app's go to stderr in the format of the other
processes (`CIPS_LOG_FORMAT`, role "web"). The access log stays off: the reverse proxy keeps one,
and health probes would flood it. Everything else (workers, bind address) is on the command line.
"""

from cips.logs import dict_config

logconfig_dict = dict_config(role="web")

# gunicorn 24+ opens a control socket in ~/.gunicorn for `gunicornc`; two web processes on one
# host would share it, and the Procfile's process never needs it.
control_socket_disable = True
