using System.Globalization;
using DmVoice.Grains.Hosting;
using DmVoice.Grains.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DmVoice.Gateway.Tests.Infrastructure;

/// <summary>
/// A silo in its own host on fixed loopback ports (localhost clustering, in-memory state), and the
/// settings that make gateways join it as plain cluster clients. It can be stopped and started
/// again on the same ports.
/// </summary>
public sealed class StandaloneSilo(FakeTimeProvider? callTime = null) : IAsyncDisposable
{
    private readonly string _clusterId = "silo-" + Guid.NewGuid().ToString("N")[..8];
    private readonly int _siloPort = TestEnvironment.FreeTcpPort();
    private readonly int _gatewayPort = TestEnvironment.FreeTcpPort();
    private IHost? _host;

    public Dictionary<string, string?> ClusterSettings() => new()
    {
        ["Cluster:ClusterId"] = _clusterId,
        ["Cluster:ServiceId"] = _clusterId,
        ["Cluster:SiloPort"] = _siloPort.ToString(CultureInfo.InvariantCulture),
        ["Cluster:GatewayPort"] = _gatewayPort.ToString(CultureInfo.InvariantCulture),
        ["Cluster:EventDelivery"] = TestDelivery.Mode,
    };

    public async Task StartAsync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Development" });
        builder.Configuration.AddInMemoryCollection(ClusterSettings());
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleans(silo =>
        {
            silo.UseDmVoiceCluster(builder.Configuration);
            if (callTime is not null)
            {
                // Call deadlines (rings, grace periods) on the test's clock; Orleans keeps real time.
                silo.Services.AddSingleton(new CallClock(callTime));
            }
        });
        _host = builder.Build();
        await _host.StartAsync();
    }

    public async Task StopAsync()
    {
        if (_host is not null)
        {
            await _host.StopAsync();
            _host.Dispose();
            _host = null;
        }
    }

    /// <summary>Starts a gateway that joins this silo instead of hosting its own.</summary>
    public Task<GatewayServer> StartGatewayAsync() => GatewayServer.StartAsync(settings =>
    {
        foreach (var (key, value) in ClusterSettings())
        {
            settings[key] = value;
        }

        settings["Gateway:CoHostSilo"] = "false";
    });

    public async ValueTask DisposeAsync() => await StopAsync();
}
