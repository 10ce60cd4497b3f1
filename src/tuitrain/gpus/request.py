"""What a run asks for: ``gpus`` (a count; 0 asks for none and skips the queue) on a
``host`` or on ``any`` host.

A run given GPUs sees only them, renumbered from 0 (``CUDA_VISIBLE_DEVICES``), so a
recipe's ``device`` parameter must count among those: ``auto`` becomes ``0,1,...``,
and ids beyond the count, or ``cpu``, are refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ANY_HOST = "any"


class GpuRequestError(ValueError):
    """A GPU request that cannot be met as written; one line saying why."""


def requested_gpus(value: object) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise GpuRequestError("gpus must be a number of GPUs (0 for none)")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or value < 0:
        raise GpuRequestError(f"gpus must be a number of GPUs (0 for none), not {value!r}")
    return value


def visible_devices(count: int) -> str:
    """The device a recipe gets for ``count`` GPUs: "0", "0,1", ..."""
    return ",".join(str(i) for i in range(count))


def apply_gpu_request(config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` with ``gpus`` checked and the recipe's ``device`` made consistent."""
    out = dict(config)
    gpus = requested_gpus(config.get("gpus"))
    out["gpus"] = gpus
    host = str(config.get("host") or "local")
    if host == ANY_HOST and gpus == 0:
        raise GpuRequestError("host any picks a host with free GPUs: ask for some (--gpus N)")
    framework = str(config.get("framework") or "custom")
    if gpus == 0 or framework == "custom" or config.get("command"):
        return out
    from tuitrain.frameworks import recipe_for
    from tuitrain.frameworks.params import check_device, normalize_device

    try:
        recipe = recipe_for(framework)
    except ValueError:
        return out  # validate_config says why
    if not any(spec.name == "device" for spec in recipe.params):
        return out
    params = dict(config.get("params") or {})
    device = params.get("device", "auto")
    if check_device(device) is not None:
        return out  # the recipe's own check gives the message
    device = normalize_device(device)
    wanted = visible_devices(gpus)
    if device == "cpu":
        raise GpuRequestError(f"device=cpu asks for no GPU, but the run asks for {gpus}")
    if device != "auto" and device != wanted:
        ids = {int(i) for i in device.split(",")}
        if not ids <= set(range(gpus)):
            raise GpuRequestError(
                f"device={device}: a run given {gpus} GPU{'s' if gpus > 1 else ''} sees them "
                f"as {wanted} (CUDA_VISIBLE_DEVICES); use device=auto or {wanted}"
            )
        params["device"] = device
    else:
        params["device"] = wanted
    out["params"] = params
    return out


def gpu_environment(gpu_ids: str | None) -> dict[str, str]:
    """The variables that give a run its GPUs: nvidia-smi numbers GPUs in PCI bus
    order, CUDA fastest first unless told otherwise, so both are set."""
    if not gpu_ids:
        return {}
    return {"CUDA_DEVICE_ORDER": "PCI_BUS_ID", "CUDA_VISIBLE_DEVICES": gpu_ids}
