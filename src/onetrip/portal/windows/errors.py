"""What the window directory refuses, Chinese first, English beside."""

from __future__ import annotations

from onetrip.common.errors import ApplicationError, NotFound


class LocationInvalid(ApplicationError):
    """A starting point the directory cannot measure from; `field` names the input."""


def location_incomplete() -> LocationInvalid:
    return LocationInvalid(
        "location_incomplete",
        "位置须同时给出纬度和经度",
        "A location needs both the latitude and the longitude",
        field="lat",
    )


def location_out_of_range() -> LocationInvalid:
    return LocationInvalid(
        "location_invalid",
        "位置无效：纬度须在 -90 至 90 之间，经度须在 -180 至 180 之间",
        "The location is invalid: latitude between -90 and 90, longitude between -180 and 180",
        field="lat",
    )


def community_unknown() -> LocationInvalid:
    return LocationInvalid(
        "community_unknown",
        "未找到该社区（村），请从列表中选择",
        "No such community; choose one from the list",
        field="community",
    )


class WindowNotFound(NotFound):
    """An unknown window, or one that is not open to residents (inactive): the same answer."""

    def __init__(self) -> None:
        super().__init__("window_not_found", "未找到该办理窗口", "No such service window")
