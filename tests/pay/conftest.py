from tests.pay.pay_data import october  # noqa: F401  (a fixture for every test of pay)
