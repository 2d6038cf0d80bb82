using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace DmVoice.Grains.Events;

/// <summary>
/// Gateways that share this silo's process (the embedded mode co-hosts one). A delivery to one of them
/// is handed to its receiver directly instead of going through Orleans messaging to the gateway's
/// observer: the same one delivery per gateway per event, the same immutable payload and the same
/// per-sender sequence, minus a message hop through the hosted client's single message pump, which
/// the benchmark showed holding events back under load. Gateways in other processes are reached
/// through their observer references as before.
/// </summary>
public sealed class LocalGateways
{
    private readonly ConcurrentDictionary<string, IGatewayObserver> _receivers = new(StringComparer.Ordinal);

    /// <summary>A co-hosted gateway's receiver; it must take a delivery quickly and without blocking.</summary>
    public void Register(string gatewayId, IGatewayObserver receiver) => _receivers[gatewayId] = receiver;

    public void Unregister(string gatewayId) => _receivers.TryRemove(gatewayId, out _);

    public bool TryGet(string gatewayId, [NotNullWhen(true)] out IGatewayObserver? receiver) =>
        _receivers.TryGetValue(gatewayId, out receiver);
}
