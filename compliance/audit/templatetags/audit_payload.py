"""Template filters of the audit-log pages: ``{% for field in event.data|payload_fields %}``."""

from django import template

from compliance.audit.payload import payload_fields as fields_of

register = template.Library()


@register.filter
def payload_fields(data):
    """Return an event's payload as labelled fields (``compliance.audit.payload``)."""
    return fields_of(data)
