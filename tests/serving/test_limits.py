"""Does the limiter count what a client holds the way a trainee's pages live, and is the "full"
page safe to show?"""

from __future__ import annotations

from arms_training.serving.limits import KernelLimiter, Refusal, full_page


def test_a_client_is_refused_beyond_its_share_and_the_server_beyond_its_total():
    limiter = KernelLimiter(max_kernels=3, max_per_client=2)
    live: set[str] = set()
    for n, client in enumerate(["a", "a"]):
        ticket = limiter.admit(client, live)
        assert isinstance(ticket, int)
        limiter.started(ticket, f"k{n}")
        live.add(f"k{n}")
        limiter.release(ticket)
    assert limiter.admit("a", live) == Refusal("client", 2)
    ticket = limiter.admit("b", live)
    assert isinstance(ticket, int)
    assert limiter.admit("c", live) == Refusal("server", 3)  # b's page is still starting: it counts


def test_a_kernel_that_has_gone_stops_counting():
    limiter = KernelLimiter(max_kernels=1, max_per_client=1)
    ticket = limiter.admit("a", set())
    assert isinstance(ticket, int)
    limiter.started(ticket, "k1")
    limiter.release(ticket)
    assert isinstance(limiter.admit("a", {"k1"}), Refusal)
    assert isinstance(limiter.admit("a", set()), int)  # culled, shut down, or the page reloaded


def test_a_request_that_started_no_kernel_stops_counting_when_it_ends():
    limiter = KernelLimiter(max_kernels=1, max_per_client=0)
    ticket = limiter.admit("a", set())
    assert isinstance(limiter.admit("b", set()), Refusal)
    limiter.release(ticket)  # a redirect, an error before the kernel started
    assert isinstance(limiter.admit("b", set()), int)


def test_zero_means_no_limit():
    limiter = KernelLimiter(max_kernels=0, max_per_client=0)
    assert all(isinstance(limiter.admit("a", set()), int) for _ in range(100))


def test_the_full_page_says_what_to_do_and_escapes_the_address_it_links_back_to():
    page = full_page(Refusal("server", 40), '/voila/render/exercise.ipynb?x="><script>alert(1)</script>')
    assert "<h1>The server is full</h1>" in page and "Try again in a minute" in page
    assert "<script>" not in page and "&quot;&gt;&lt;script&gt;" in page
    assert '<html lang="en">' in page
    mine = full_page(Refusal("client", 8), "/voila/render/exercise.ipynb")
    assert "already has 8 exercise pages open" in mine
