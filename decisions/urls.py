from django.urls import path

from decisions import api, feeds, views

app_name = "decisions"

urlpatterns = [
    path("", views.search_page, name="search"),
    path("letters/<int:pk>/", views.determination_page, name="determination"),
    path("letters/<int:pk>/original", views.original_file, name="original_file"),
    path("items/<int:pk>/similar/", views.similar_page, name="similar"),
    path("estimate/", views.estimate_page, name="estimate"),
    path("api/estimate", api.estimate_json, name="api_estimate"),
    path("insights/", views.insights_page, name="insights"),
    path("insights.csv", api.insights_csv, name="insights_csv"),
    path("api/stats", api.stats_json, name="api_stats"),
    path("cited/", views.cited_pages, name="cited_pages"),
    path("cited/<str:source>/<int:page>/", views.cited_page, name="cited_page"),
    path("cited/<str:guideline>/section/<str:key>/", views.cited_section, name="cited_section"),
    path("api/", api.api_index, name="api"),
    path("api/determinations/<int:pk>", api.determination_json, name="api_determination"),
    path("api/items", api.items_json, name="api_items"),
    path("api/items/<int:pk>/similar", api.similar_json, name="api_similar"),
    path("export.csv", api.items_csv, name="export_csv"),
    path("feed/", feeds.SearchFeed(), name="search_feed"),
]
