import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bankops.settings")
application = get_wsgi_application()

# What start-up loaded (modules, settings, URL patterns, numpy and pandas: ~200,000 objects) lives as long
# as the process: kept out of the garbage collector's full passes, which otherwise walked it all every few
# requests that make many objects (a cold page of 100 scorecards: a 130 ms pause every ~6 pages, 15 ms
# after; bench/api.py).
gc.collect()
gc.freeze()
