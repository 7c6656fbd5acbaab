"""Extensions created here and bound to the app by `create_app`."""

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from wallet.models import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()

# Import every module that declares tables, so migrations and `db.metadata` see them all.
import sms.models  # noqa: E402,F401
import app.models  # noqa: E402,F401
import wallet.catalogue  # noqa: E402,F401
