"""Where a photo came from, in the words the author and the approver read (posts.services.provenance)."""

from django import template

from posts.models import PhotoSource, PostImage
from posts.services.provenance import source_in_words, where_taken

register = template.Library()


@register.filter(name="where_taken")
def where_taken_filter(image: PostImage) -> str:
    return where_taken(image)


@register.filter(name="photo_source")
def photo_source_filter(image: PostImage) -> str:
    return source_in_words(image)


@register.simple_tag
def photo_sources():
    return PhotoSource.choices
