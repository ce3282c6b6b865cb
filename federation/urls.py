from django.urls import path

from federation import views

app_name = "federation"

urlpatterns = [
    path("sign-in/provider/", views.sign_in_start, name="sign-in"),
    path("sign-in/provider/callback/", views.sign_in_callback, name="callback"),
    path("sign-in/provider/bind/", views.sign_in_bind, name="bind"),
    path("sign-in/provider/backchannel-logout/", views.backchannel_logout, name="backchannel-logout"),
]
