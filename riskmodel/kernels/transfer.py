"""Risk transfer on one simulation's settled claims: the layers in order, each on what the layers before it left.

A layer pools the remaining loss of its claims by unit (``m.rt_unit``: a
cover, contract, exporter or country event; for an aggregate layer the year
of the claim's date), pays ``min(max(S - a, 0), b)`` of a pool ``S`` (a quota
share pays ``a S``) and takes it from the pool's claims pro rata. A per-event
pool holds only the claims dated at or after its event (``tau``). Each claim
then carries, by the run's perspective (``m.rt_persp``), its gross loss, the
part ceded or the part kept; its claim amount is scaled alike (the layers
share recoveries as they share losses).

``out_loss`` receives the gross total (column 3) and each layer's ceded total
(columns 4 on); columns 0-2 are left to the caller, which totals the records.
"""

from .jit import helper

KIND_QUOTA_SHARE = 0
KIND_PER_EVENT = 2
KIND_AGGREGATE = 3
PERSPECTIVE_GROSS = 0
PERSPECTIVE_CEDED = 1


@helper
def pool_nb(m, layer, cov_r, t_r, tau):
    """The pool of a claim of cover ``cov_r`` dated ``t_r`` in ``layer``, or -1 if the layer does not take it."""
    u = m.rt_unit[layer, cov_r]
    if u < 0:
        return -1
    kind = m.rt_kind[layer]
    if kind == KIND_PER_EVENT:
        return u if t_r >= tau[u] else -1
    if kind == KIND_AGGREGATE:
        return int(t_r) if t_r > 0.0 else 0  # claims fall inside the horizon: fewer years than rt_n_units
    return u


@helper
def cede_nb(m, start, end, cov, t, claim, loss, net, acc, done, tau, out_loss):
    """Apply the layers to records ``[start, end)``; leave each record's loss and claim in the perspective."""
    gross = 0.0
    for r in range(start, end):
        net[r - start] = loss[r]
        gross += loss[r]
    for layer in range(m.rt_kind.shape[0]):
        a = m.rt_a[layer]
        b = m.rt_b[layer]
        ceded = 0.0
        if m.rt_kind[layer] == KIND_QUOTA_SHARE:
            keep = 1.0 - a
            for r in range(start, end):
                if m.rt_unit[layer, cov[r]] >= 0:
                    x = net[r - start]
                    net[r - start] = keep * x
                    ceded += x - keep * x
        else:
            for r in range(start, end):
                u = pool_nb(m, layer, cov[r], t[r], tau)
                if u >= 0:
                    acc[u] += net[r - start]
            for r in range(start, end):
                u = pool_nb(m, layer, cov[r], t[r], tau)
                if u < 0:
                    continue
                if done[u] == 0:
                    s = acc[u]
                    pay = min(max(s - a, 0.0), b)
                    acc[u] = pay / s if s > 0.0 else 0.0  # from here on the pool's ceded fraction
                    done[u] = 1
                x = net[r - start]
                c = acc[u] * x
                net[r - start] = x - c
                ceded += c
            for r in range(start, end):
                u = pool_nb(m, layer, cov[r], t[r], tau)
                if u >= 0:
                    acc[u] = 0.0
                    done[u] = 0
        out_loss[4 + layer] = ceded
    out_loss[3] = gross
    if m.rt_persp == PERSPECTIVE_GROSS:
        return
    for r in range(start, end):
        g = loss[r]
        v = net[r - start] if m.rt_persp != PERSPECTIVE_CEDED else g - net[r - start]
        if g > 0.0:
            claim[r] = claim[r] * (v / g)
        loss[r] = v
