"""Search backends: each implements `base.SearchBackend`; settings.SEARCH_BACKEND picks one."""
