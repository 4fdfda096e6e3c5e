"""Saved searches: save the current search, list, rename, set alerts, delete; unsubscribe by link."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from alerts.digests import saved_search_for
from alerts.models import SavedSearch
from decisions.results import without


class SavedSearchForm(forms.ModelForm):
    class Meta:
        model = SavedSearch
        fields = ["name", "frequency"]


@login_required
def saved_searches(request):
    searches = request.user.saved_searches.all()
    return render(
        request,
        "alerts/saved_searches.html",
        {"rows": [(saved, SavedSearchForm(instance=saved, prefix=f"s{saved.pk}")) for saved in searches]},
    )


@login_required
@require_POST
def save(request):
    """Save the search whose query string the search page sent, under the name given."""
    name = " ".join(request.POST.get("name", "").split())[:120] or "My search"
    query = without(QueryDict(request.POST.get("query", "")))
    try:
        with transaction.atomic():
            SavedSearch.objects.create(owner=request.user, name=name, query=query)
    except IntegrityError:
        messages.error(request, f"You already have a saved search called “{name}”; choose another name.")
    else:
        messages.success(request, f"Saved “{name}”. Turn on alerts below to hear of new decisions.")
    return redirect("alerts:list")


@login_required
@require_POST
def change(request, pk):
    saved = get_object_or_404(SavedSearch, pk=pk, owner=request.user)
    form = SavedSearchForm(request.POST, instance=saved, prefix=f"s{saved.pk}")
    if form.is_valid():
        try:
            with transaction.atomic():
                form.save()
        except IntegrityError:
            messages.error(request, "You already have a saved search with that name.")
        else:
            messages.success(request, f"Saved “{saved.name}”: {saved.get_frequency_display().lower()}.")
    else:
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
    return redirect("alerts:list")


@login_required
@require_POST
def delete(request, pk):
    saved = get_object_or_404(SavedSearch, pk=pk, owner=request.user)
    saved.delete()
    messages.success(request, f"Deleted “{saved.name}”.")
    return redirect("alerts:list")


def unsubscribe(request, token):
    """From the link in a digest, without logging in: GET asks, POST turns the alert off (mail
    scanners follow links, so a GET alone changes nothing)."""
    saved = saved_search_for(token)
    if saved is None:
        raise Http404("This unsubscribe link is not valid.")
    done = False
    if request.method == "POST":
        saved.frequency = SavedSearch.Frequency.OFF
        saved.save(update_fields=["frequency"])
        done = True
    return render(request, "alerts/unsubscribe.html", {"saved": saved, "done": done})
