using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace DmVoice.Gateway.Tests.Infrastructure;

/// <summary>
/// Sums one counter of one gateway, by tag value. Several gateways share a test process and their
/// meters share names, so this listens only to instruments of the given server's meter factory.
/// </summary>
public sealed class MeterProbe : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _byTag = new(StringComparer.Ordinal);

    public MeterProbe(GatewayServer server, string instrument, string tag)
    {
        var factory = server.Services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (published, listener) =>
        {
            if (published.Meter.Scope == factory && published.Name == instrument)
            {
                listener.EnableMeasurementEvents(published);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var pair in tags)
            {
                if (pair.Key == tag)
                {
                    _byTag.AddOrUpdate(pair.Value?.ToString() ?? string.Empty, value, (_, sum) => sum + value);
                }
            }
        });
        _listener.Start();
    }

    public long this[string tagValue] => _byTag.GetValueOrDefault(tagValue);

    public void Dispose() => _listener.Dispose();
}
