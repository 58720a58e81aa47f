"""Draw the guidance's sample pictures into a directory, to look at them (or hand them to a
designer): one PNG per DOC-2 proof (``proof-<id>.png``) and per step of each seed guide
(``<guide key>-<n>.png``). The demo draws the same pictures itself when it loads its guidance
(`onetrip --zone police load_demo_guidance`, `police/guidance/seed.py`); nothing here is taken
from outside, every picture is drawn with Pillow.

    .venv/bin/python scripts/draw_guidance_samples.py var/guidance-samples
"""

from __future__ import annotations

import sys
from pathlib import Path

from onetrip.common.permit_materials import CATALOGUE


def main(target: Path) -> int:
    import django

    django.setup()
    from onetrip.police.guidance.pictures import draw_proof_sample, draw_step
    from onetrip.police.guidance.seed import GUIDES

    target.mkdir(parents=True, exist_ok=True)
    count = 0
    for proof in CATALOGUE:
        picture = draw_proof_sample(
            proof_id=proof.id,
            name=proof.name_zh,
            issuer=proof.issuer_zh,
            category=proof.category.value,
        )
        (target / f"proof-{proof.id}.png").write_bytes(picture)
        count += 1
    for guide in GUIDES:
        for number, (title, text) in enumerate(guide["steps"], 1):
            picture = draw_step(number=number, title=title, caption=text)
            (target / f"{guide['key']}-{number}.png").write_bytes(picture)
            count += 1
    print(f"{count} pictures in {target}")
    return 0


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onetrip.settings.police")
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "var/guidance-samples")))
