"""The two vendors ShopQB talks to, one package each, and the one HTTP wrapper they share.

Nothing here knows about the ORM or the apps: the apps above pass in tokens and
settings and get typed values or a vendor's own errors back.
"""
