using DmVoice.Gateway.Realtime;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DmVoice.Gateway.Observability;

/// <summary>Not ready from the moment the gateway begins to stop, so load balancers send nothing new here.</summary>
public sealed class GatewayStoppingHealthCheck(GatewayShutdown shutdown) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(shutdown.IsStopping
            ? HealthCheckResult.Unhealthy("The gateway is stopping.")
            : HealthCheckResult.Healthy("The gateway is not stopping."));
}
