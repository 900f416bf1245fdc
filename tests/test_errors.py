"""One base type for the core's errors about data or choices (sarcoma.errors.SarcomaError):
a page can show any of them as a plain message. Found by walking the package, so a new error
class that forgets the base fails here."""

import importlib
import inspect
import pkgutil

import sarcoma
from sarcoma.errors import SarcomaError

# Not about the user's data: the machine lacks a browser for static export.
ENVIRONMENT_ERRORS = {"BrowserNotFoundError"}


def test_every_error_class_of_the_core_is_a_sarcoma_error():
    found = []
    for info in pkgutil.walk_packages(sarcoma.__path__, "sarcoma."):
        module = importlib.import_module(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or not issubclass(cls, Exception) or name in ENVIRONMENT_ERRORS:
                continue
            found.append(name)
            assert issubclass(cls, SarcomaError), f"{module.__name__}.{name} does not derive from SarcomaError"
    assert {"SurvivalInputError", "CohortReadError", "ResponseDataError", "ViewOptionError", "CoxFitError"} <= set(found)
    assert issubclass(SarcomaError, ValueError)  # callers that catch ValueError keep working
