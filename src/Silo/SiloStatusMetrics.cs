using System.Diagnostics.Metrics;

namespace DmVoice.Silo;

/// <summary>
/// Whether this silo is Active and has finished starting (what <c>/health/ready</c> answers), and the
/// cluster's membership as this silo sees it, by status.
/// </summary>
internal sealed class SiloStatusMetrics : IDisposable
{
    public const string MeterName = "DmVoice.Silo";

    private readonly Meter _meter;

    public SiloStatusMetrics(IMeterFactory meterFactory, IClusterMembershipService membership, ILocalSiloDetails local, IHostApplicationLifetime lifetime)
    {
        _meter = meterFactory.Create(MeterName);
        _meter.CreateObservableGauge(
            "dmvoice.silo.active",
            () => SiloActiveHealthCheck.IsReady(membership, local, lifetime) ? 1 : 0,
            description: "1 while this silo is Active in the cluster and has finished starting (as /health/ready), else 0");
        _meter.CreateObservableGauge(
            "dmvoice.cluster.silos",
            () => membership.CurrentSnapshot.Members.Values
                .GroupBy(m => m.Status)
                .Select(g => new Measurement<long>(g.Count(), new KeyValuePair<string, object?>("status", g.Key.ToString()))),
            description: "Silos in the cluster's membership as this silo sees it, by status (Joining, Active, ShuttingDown, Stopping, Dead)");
    }

    public void Dispose() => _meter.Dispose();
}
