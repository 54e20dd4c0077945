from django.urls import path

from . import views

urlpatterns = [
    path("local/people/<str:handle>/", views.local_person, name="local_person"),
    path("local/<str:handle>/", views.local_timeline, name="local_timeline"),
    path("local/media/<int:pk>/", views.local_network_media, name="local_network_media"),
]
