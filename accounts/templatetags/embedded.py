"""Tags for the embedded app's shell: App Bridge, the title bar's title and the navigation menu.

App Bridge draws the title bar and the navigation menu in the Shopify admin, around the app's
frame, from the ``<ui-title-bar>`` and ``<ui-nav-menu>`` elements of each page (templates/accounts/base.html).
"""

from django import template
from django.conf import settings
from django.template.base import Parser, Token
from django.template.context import Context
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()

DOCUMENT_TITLE_PREFIX = "ShopQB · "


@register.simple_tag
def app_bridge() -> str:
    """App Bridge must be the first script, loaded synchronously, with the API key in a meta tag."""
    # Reference: https://shopify.dev/docs/api/app-bridge-library
    return format_html(
        '<meta name="shopify-api-key" content="{}">\n    <script src="{}"></script>',
        settings.SHOPIFY_API_KEY,
        settings.SHOPIFY_APP_BRIDGE_URL,
    )


@register.simple_tag
def nav_link(url_name: str, label: str, rel: str = "") -> str:
    """A ``<ui-nav-menu>`` entry, or nothing when ``url_name`` does not resolve.

    Pages are added to the app by separate changes; a menu entry for a page that is not
    there yet must not break every page of the app.
    """
    # Reference: https://shopify.dev/docs/api/app-bridge-library/web-components/ui-nav-menu
    try:
        href = reverse(url_name)
    except NoReverseMatch:
        return ""
    if rel:
        return format_html('<a href="{}" rel="{}">{}</a>', href, rel, label)
    return format_html('<a href="{}">{}</a>', href, label)


@register.filter(is_safe=True)
def page_name(document_title: str) -> str:
    """ "ShopQB · Orders" -> "Orders": the admin shows the app's name next to the title bar already."""
    return document_title.removeprefix(DOCUMENT_TITLE_PREFIX) or document_title


class CaptureNode(template.Node):
    def __init__(self, nodelist: template.NodeList, name: str) -> None:
        self.nodelist = nodelist
        self.name = name

    def render(self, context: Context) -> str:
        context[self.name] = SafeString(self.nodelist.render(context).strip())
        return ""


@register.tag
def capture(parser: Parser, token: Token) -> CaptureNode:
    """``{% capture as name %}...{% endcapture %}``: render once, use twice.

    The document's title is a block that pages fill in; the title bar shows the same
    words, and a block can be rendered only once.
    """
    bits = token.split_contents()
    if len(bits) != 3 or bits[1] != "as":
        raise template.TemplateSyntaxError("usage: {% capture as name %}...{% endcapture %}")
    nodelist = parser.parse(("endcapture",))
    parser.delete_first_token()
    return CaptureNode(nodelist, bits[2])
