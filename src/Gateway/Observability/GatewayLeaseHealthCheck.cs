using DmVoice.Gateway.Realtime;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DmVoice.Gateway.Observability;

/// <summary>Ready only while the gateway holds its lease: without it, devices are turned away.</summary>
public sealed class GatewayLeaseHealthCheck(GatewayLease lease) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(lease.IsHeld
            ? HealthCheckResult.Healthy("The gateway holds its lease.")
            : HealthCheckResult.Unhealthy("The gateway does not hold its lease on the cluster."));
}
