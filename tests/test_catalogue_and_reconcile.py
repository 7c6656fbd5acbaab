"""Importing VTpass's data plans, and reconciling a day's purchases with a provider."""

import pytest
import responses
import sqlalchemy as sa

from app.extensions import db
from tests.phones import AfricasTalkingPhone
from tests.test_requery import shift
from tests.test_ussd_africastalking import buy_airtime, credit
from wallet.catalogue import DataPlan, describe_plan_name
from wallet.models import PurchaseStatus

BASE_URL = "https://vtpass.test/api"


@pytest.mark.parametrize(
    ("name", "described"),
    [
        ("MTN N100 100MB - 24 hrs", (100, 1)),
        ("MTN N1000 1.5GB - 30 days", (1536, 30)),
        ("Airtel 2GB 7 days", (2048, 7)),
        ("Glo 10GB 1 Month", (10240, 30)),
        ("9mobile 3GB - 72 hrs", (3072, 3)),
        ("Night plan", None),
    ],
)
def test_plan_name_is_read(name, described):
    assert describe_plan_name(name) == described


@responses.activate
def test_sync_adds_missing_plans_and_keeps_edited_prices(app, runner, monkeypatch):
    for name, value in {
        "VTPASS_BASE_URL": BASE_URL,
        "VTPASS_API_KEY": "api-key-1",
        "VTPASS_SECRET_KEY": "secret-key-1",
        "VTPASS_PUBLIC_KEY": "public-key-1",
    }.items():
        monkeypatch.setitem(app.config, name, value)
    assert runner.invoke(args=["seed"]).exit_code == 0
    variations = {
        "mtn-data": [
            {"variation_code": "mtn-10mb-100", "name": "N100 100MB - 24 hrs", "variation_amount": "100.00", "fixedPrice": "Yes"},
            {"variation_code": "MTN2GB", "name": "N1200 2GB - 30 days", "variation_amount": "1200.00", "fixedPrice": "Yes"},
            {"variation_code": "mtn-night", "name": "Night plan", "variation_amount": "50.00", "fixedPrice": "Yes"},
        ]
    }
    for service_id in ("mtn-data", "airtel-data", "glo-data", "etisalat-data"):
        responses.get(
            f"{BASE_URL}/service-variations",
            json={"response_description": "000", "content": {"ServiceName": service_id, "varations": variations.get(service_id, [])}},
            match=[responses.matchers.query_param_matcher({"serviceID": service_id})],
        )

    result = runner.invoke(args=["catalogue", "sync", "--provider", "vtpass"])

    assert result.exit_code == 0, result.output
    assert "mtn-data: 3 plans, 1 added, 1 with unreadable names" in result.output
    assert responses.calls[0].request.headers["public-key"] == "public-key-1"
    with app.app_context():
        plans = dict(db.session.execute(sa.select(DataPlan.code, DataPlan.price_minor).where(DataPlan.network == "mtn")).all())
    assert plans["mtn-10mb-100"] == 100_00
    assert plans["MTN2GB"] == 1500_00


def test_sync_without_keys_explains(runner):
    result = runner.invoke(args=["catalogue", "sync", "--provider", "vtpass"])

    assert result.exit_code == 1
    assert "set VTPASS_API_KEY, VTPASS_SECRET_KEY and VTPASS_PUBLIC_KEY" in result.output


def test_reconcile_lists_disagreements(app, client, runner, run_jobs):
    phone = AfricasTalkingPhone(client, phone_number="+2348030000002")
    phone.register()
    credit(runner, "+2348030000002", "1000")
    buy_airtime(phone, "100")
    run_jobs()
    # Our record becomes failed, while the sandbox (which delivers to this number) reports delivered.
    shift(app, status=PurchaseStatus.FAILED)
    from app.extensions import db as database
    from wallet.limits import business_day
    from wallet.models import Purchase, utcnow

    with app.app_context():
        reference = database.session.execute(sa.select(Purchase.reference)).scalar_one()
        day = business_day(utcnow(), "Africa/Lagos").isoformat()

    result = runner.invoke(args=["reconcile", "--provider", "sandbox", "--date", day])

    assert result.exit_code == 1, result.output
    assert f"{reference}: ours failed, sandbox succeeded" in result.output
    assert "1 purchases, 1 differences" in result.output


@pytest.mark.parametrize(
    ("provider", "message"),
    [("nope", "'nope' is not one of"), ("vtpass", "cannot query vtpass: VTpass needs VTPASS_API_KEY")],
)
def test_reconcile_bad_provider_explains(runner, provider, message):
    result = runner.invoke(args=["reconcile", "--provider", provider, "--date", "2026-12-04"])

    assert result.exit_code in {1, 2}
    assert message in result.output


@responses.activate
def test_sync_with_every_service_failing_exits_1(app, runner, monkeypatch):
    for name, value in {
        "VTPASS_BASE_URL": BASE_URL,
        "VTPASS_API_KEY": "k",
        "VTPASS_SECRET_KEY": "s",
        "VTPASS_PUBLIC_KEY": "p",
    }.items():
        monkeypatch.setitem(app.config, name, value)
    responses.get(f"{BASE_URL}/service-variations", body="Not Implemented", status=501)

    result = runner.invoke(args=["catalogue", "sync", "--provider", "vtpass"])

    assert result.exit_code == 1
    assert "4 of 4 services could not be synced" in result.output
