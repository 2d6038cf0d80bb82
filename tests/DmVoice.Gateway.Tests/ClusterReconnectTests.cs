using System.Globalization;
using System.Net;
using DmVoice.Grains.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DmVoice.Gateway.Tests;

/// <summary>
/// A gateway that loses its cluster and gets it back re-subscribes its users' event streams:
/// a device that stayed connected hears calls made after the silo came back.
/// </summary>
public sealed class ClusterReconnectTests : IAsyncLifetime
{
    private readonly string _clusterId = "reconnect-" + Guid.NewGuid().ToString("N")[..8];
    private readonly int _siloPort = TestEnvironment.FreeTcpPort();
    private readonly int _gatewayPort = TestEnvironment.FreeTcpPort();
    private IHost? _silo;
    private GatewayServer _gateway = null!;

    private Dictionary<string, string?> ClusterSettings() => new()
    {
        ["Cluster:ClusterId"] = _clusterId,
        ["Cluster:ServiceId"] = _clusterId,
        ["Cluster:SiloPort"] = _siloPort.ToString(CultureInfo.InvariantCulture),
        ["Cluster:GatewayPort"] = _gatewayPort.ToString(CultureInfo.InvariantCulture),
    };

    private async Task StartSiloAsync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Development" });
        builder.Configuration.AddInMemoryCollection(ClusterSettings());
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleans(silo => silo.UseDmVoiceCluster(builder.Configuration));
        _silo = builder.Build();
        await _silo.StartAsync();
    }

    private async Task StopSiloAsync()
    {
        if (_silo is not null)
        {
            await _silo.StopAsync();
            _silo.Dispose();
            _silo = null;
        }
    }

    public async ValueTask InitializeAsync()
    {
        await StartSiloAsync();
        _gateway = await GatewayServer.StartAsync(settings =>
        {
            foreach (var (key, value) in ClusterSettings())
            {
                settings[key] = value;
            }

            settings["Gateway:CoHostSilo"] = "false";
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await StopSiloAsync();
    }

    [Fact]
    public async Task Events_reach_a_connected_device_again_after_the_silo_restarts()
    {
        await using var a = await VoiceUser.CreateAsync(_gateway, "alice");
        await using var b = await VoiceUser.CreateAsync(_gateway, "bob");
        var bPhone = await b.ConnectAsync();

        // The silo restarts with empty in-memory state, stream subscriptions included.
        await StopSiloAsync();
        await StartSiloAsync();
        using var probe = new HttpClient { BaseAddress = _gateway.BaseAddress };
        await Eventually.GetAsync(
            async () => (await probe.GetAsync("/health/ready")).StatusCode,
            status => status == HttpStatusCode.OK,
            "the gateway to reach the restarted silo",
            TimeSpan.FromSeconds(60));

        var dm = await Eventually.GetAsync(
            async () =>
            {
                try
                {
                    return await a.CreateDmAsync(b);
                }
                catch (HttpRequestException)
                {
                    return null;
                }
            },
            group => group is not null,
            "a DM through the reconnected gateway",
            TimeSpan.FromSeconds(30));
        await a.JoinAsync(dm!.Id);

        var started = await bPhone.WaitForAsync(VoiceEventNames.CallStarted, e => e.Str("dmGroupId") == dm.Id, TimeSpan.FromSeconds(30));
        Assert.Equal(a.UserId, started.GetProperty("user").Str("userId"));
    }
}
