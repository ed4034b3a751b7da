"""The plain DTMF IVR: menu state machine, pre-rendered prompts, the AI/IVR switch processor.

    from voice.ivr import IvrSwitch, MenuMachine, IvrPrompts, prerender

An opted-out call (or one that opts out mid-call) runs the menu from the workspace's ``ivr``
section with no ASR, no brain and no NER model on its audio; see :mod:`voice.ivr.optout`. The call
control that switches a running call to the menu is :class:`voice.pipeline.ivr_control.IvrCallControl`.
"""

from __future__ import annotations

from voice.ivr.exceptions import IvrError, PromptError
from voice.ivr.menu import MENU_NAME, MenuMachine, MenuState, Prompt
from voice.ivr.prompts import IvrPrompts, all_texts, prerender
from voice.ivr.switch import IvrSwitch, IvrTimings, Mode

__all__ = [
    "MENU_NAME",
    "IvrError",
    "IvrPrompts",
    "IvrSwitch",
    "IvrTimings",
    "MenuMachine",
    "MenuState",
    "Mode",
    "Prompt",
    "PromptError",
    "all_texts",
    "prerender",
]
