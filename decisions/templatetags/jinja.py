"""`{% jinja "decisions/_chips.html" item=item %}`: a Jinja2 block inside a Django template page."""

from django import template
from django.template import engines
from django.urls import reverse
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def jinja(context, template_name, **values):
    """Render a block of templates/jinja2 here, with the page's search_url and the values given."""
    block = engines["jinja2"].get_template(template_name)
    search_url = context.get("search_url") or reverse("decisions:search")
    return mark_safe(block.render({"search_url": search_url, **values}))
