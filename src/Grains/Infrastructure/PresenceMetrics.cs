using System.Diagnostics.Metrics;

namespace DmVoice.Grains.Infrastructure;

/// <summary>
/// Whether presence holds: gateway leases that ran out on the silo side, and deadlines nobody dealt with
/// (<see cref="OverdueDeadlines"/>; for the disconnect grace, participants still in a call with no live
/// device past the grace).
/// </summary>
public sealed class PresenceMetrics : IDisposable
{
    public const string MeterName = "DmVoice.Presence";

    private readonly Meter _meter;
    private readonly Counter<long> _leasesEnded;
    private readonly Counter<long> _devicesForgotten;

    public PresenceMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _leasesEnded = _meter.CreateCounter<long>(
            "dmvoice.presence.gateway_leases_ended",
            description: "Gateway leases that ended, by how (lapsed: the gateway stopped renewing and its devices were dropped; released: it stopped cleanly)");
        _devicesForgotten = _meter.CreateCounter<long>(
            "dmvoice.presence.audit_devices_forgotten",
            description: "Device connections a user grain's audit forgot because nothing vouched for them, by why (lease_lost: the gateway's lease ended or no longer tracks the user; not_held: the gateway does not hold the connection). Each one is a close or a lease notice that was lost");
        _meter.CreateObservableGauge(
            "dmvoice.presence.overdue_deadlines",
            OverdueDeadlines.Measure,
            description: "Deadlines more than 10 s past whose wake-up has not completed, by kind (disconnect_grace: a participant without a live device past the grace, still in the call)");
        _meter.CreateObservableCounter(
            "dmvoice.presence.deadline_failures",
            OverdueDeadlines.MeasureFailures,
            description: "Wake-ups at a deadline that failed, by kind (disconnect_grace: the grace ran out but the participant could not be taken out of the call; the room's member check repairs it)");

        Prime();
    }

    /// <summary>
    /// Records 0 for the lease endings, so the first lapse shows as an increase. Called again once the host
    /// has started: a measurement made before the exporter listens is lost.
    /// </summary>
    public void Prime()
    {
        LeaseEnded(released: false, by: 0);
        LeaseEnded(released: true, by: 0);
        DevicesForgotten(leaseLost: false, count: 0);
        DevicesForgotten(leaseLost: true, count: 0);
    }

    public void DevicesForgotten(bool leaseLost, int count) =>
        _devicesForgotten.Add(count, new KeyValuePair<string, object?>("why", leaseLost ? "lease_lost" : "not_held"));

    public void LeaseEnded(bool released, int by = 1) =>
        _leasesEnded.Add(by, new KeyValuePair<string, object?>("how", released ? "released" : "lapsed"));

    public void Dispose() => _meter.Dispose();
}
