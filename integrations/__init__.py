"""Order sources for shop platforms, installed as ``dividebuy_checkout.integrations``."""
