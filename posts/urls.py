from django.urls import path

from . import views

urlpatterns = [
    path("take-down/", views.take_down_list, name="take_down_list"),
    path("<int:pk>/take-down/", views.post_take_down, name="post_take_down"),
]
