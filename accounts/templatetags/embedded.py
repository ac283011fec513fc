from django import template
from django.conf import settings
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def app_bridge() -> str:
    """App Bridge must be the first script, loaded synchronously, with the API key in a meta tag."""
    # Reference: https://shopify.dev/docs/api/app-bridge-library
    return format_html(
        '<meta name="shopify-api-key" content="{}">\n    <script src="{}"></script>',
        settings.SHOPIFY_API_KEY,
        settings.SHOPIFY_APP_BRIDGE_URL,
    )
