"""The current request's id, for log lines. Imported by the logging configuration, so it
must not import Django's app machinery."""

import contextvars
import logging

request_id_var = contextvars.ContextVar("request_id", default="-")


class RequestIdLogFilter(logging.Filter):
    def filter(self, record):
        record.request_id = request_id_var.get()
        return True
