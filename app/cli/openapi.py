"""Write openapi/openapi.json from the code (`make openapi`)."""

from __future__ import annotations

import json

from app.core.config import PROJECT_ROOT
from app.main import create_app


def main() -> None:
    target = PROJECT_ROOT / "openapi" / "openapi.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(
        json.dumps(create_app().openapi(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
