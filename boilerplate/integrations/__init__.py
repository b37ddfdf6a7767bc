"""Optional integrations: Scrapy (``pip install declutter-news[scrapy]``) and Spark (``[spark]``)."""
