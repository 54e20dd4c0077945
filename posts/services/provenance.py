"""Where a post's photos came from (issue 18): the policy's "photos are only taken on school
iPads" and "no images that infringe copyright".

Each photo records, at upload, the school device it came from (accounts.services_devices) and
the camera its EXIF named; the account's `device_check` says whether a photo from elsewhere is
refused (block) or shown to the approver (warn). Each photo also carries its source: taken by
staff (the default: most photos are), pupils' own work, or from elsewhere, which needs its
credit in the post's words or the photo's description.

Warnings are said only while the school has at least one enrolled device: before then every
photo is "not from a school device", and a warning on every post would teach approvers to
ignore it. A block is the school's explicit choice and holds whether or not a device is enrolled.
"""

from accounts.models import DeviceCheck, SocialAccount
from accounts.services_devices import school_has_enrolled_device

from ..models import PhotoSource, Post, PostImage
from .checks import ContentProblem


def not_from_device_refusal(account: SocialAccount) -> str:
    return (
        f"This photo was not uploaded from a school device, and @{account.handle} only takes photos "
        "from the school's devices. Take it on a school iPad and upload it from there, or ask the "
        "headteacher to enrol this device on the School devices page."
    )


def device_refused(*, account: SocialAccount, from_school_device: bool) -> bool:
    """Whether an upload that is (not) from a school device is refused for this account."""
    return not from_school_device and account.device_check == DeviceCheck.BLOCK


def where_taken(image: PostImage) -> str:
    """What the author and the approver read under a photo: "Taken on Year 3 iPad" or "Not
    from a school device", then the camera when its EXIF named one."""
    if image.from_school_device and image.device_id:
        said = f"Taken on {image.device.name}"
    elif image.device_id:
        said = f"From {image.device.name}, which was not an enrolled school device at the time"
    else:
        said = "Not from a school device"
    return f"{said} · camera: {image.camera}" if image.camera else said


def source_in_words(image: PostImage) -> str:
    if image.source != PhotoSource.ELSEWHERE:
        return image.get_source_display()
    parts = [f"credit {image.source_credit}" if image.source_credit else "no credit given"]
    if image.source_licence:
        parts.append(f"licence {image.source_licence}")
    return "From elsewhere: " + ", ".join(parts)


def _credited(post: Post, image: PostImage) -> bool:
    credit = " ".join(image.source_credit.split()).casefold()
    return bool(credit) and any(credit in " ".join(words.split()).casefold() for words in (post.text, image.alt_text))


def photo_provenance_problems(post: Post, *, stage: str = "submit") -> list[ContentProblem]:
    """Blocks and warnings about where the post's photos came from, each naming the photo and
    what to do. `stage` only changes the wording of a block for the approver."""
    photos = list(post.images.select_related("device").order_by("position", "pk"))
    if not photos:
        return []
    account = post.account
    problems = []
    warn_devices = account.device_check == DeviceCheck.WARN and any(not p.from_school_device for p in photos)
    if warn_devices:
        warn_devices = school_has_enrolled_device(school_id=account.school_id)
    for number, photo in enumerate(photos, start=1):
        if not photo.from_school_device and account.device_check == DeviceCheck.BLOCK:
            fix = (
                "Send it back so the author takes it again on a school iPad."
                if stage == "approve"
                else "Remove it and take it again on a school iPad, "
                "or ask the headteacher to enrol the device it came from."
            )
            problems.append(
                ContentProblem(
                    "device",
                    f"Photo {number} was not taken on a school device, and @{account.handle} only takes photos "
                    f"from the school's devices. {fix}",
                )
            )
        elif not photo.from_school_device and warn_devices:
            problems.append(
                ContentProblem(
                    "device",
                    f"Photo {number} is not from a school device ({where_taken(photo)}). "
                    "The policy says photos are only taken on school iPads.",
                    severity="warn",
                )
            )
        if photo.source == PhotoSource.ELSEWHERE:
            if not photo.source_credit.strip():
                problems.append(
                    ContentProblem(
                        "copyright",
                        f"Photo {number} is from elsewhere: say who made it (the credit) and its licence on the photo, "
                        "and put the credit in the post or the photo's description.",
                    )
                )
            elif not _credited(post, photo):
                problems.append(
                    ContentProblem(
                        "copyright",
                        f"Photo {number} is from elsewhere: add its credit “{photo.source_credit}” to the post's "
                        "words or to the photo's description.",
                    )
                )
            else:
                licence = photo.source_licence or "none given"
                problems.append(
                    ContentProblem(
                        "copyright",
                        f"Photo {number} is from elsewhere: credit {photo.source_credit}, licence {licence}. "
                        "Check the school may use it.",
                        severity="warn",
                    )
                )
    return problems
