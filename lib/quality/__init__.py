"""How it is checked: the two data-quality suites (``checks``), the Great Expectations
runner (``runner``), what a validate job does with the results (``publish``), the HTML
and text report (``report``) and its email (``notify``)."""
