using DmVoice.Gateway;
using DmVoice.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace DmVoice.Browser.Tests;

/// <summary>
/// The real gateway (co-hosting its silo, real clocks) on a free loopback port, serving the built
/// web client, with short rings. Started by the first scenario that needs it, shared by the rest:
/// each scenario signs in users of its own.
/// </summary>
public sealed class BrowserGateway(IReadOnlyList<string>? extraSettings = null) : IAsyncDisposable
{
    /// <summary>
    /// Short, since two scenarios wait it out, but not the shortest allowed (5 s): on a busy machine
    /// a scenario must still answer a ring before it times out.
    /// </summary>
    public static readonly TimeSpan RingTimeout = TimeSpan.FromSeconds(8);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private WebApplication? _app;
    private Uri? _address;

    public async Task<Uri> StartAsync(string webClientPath)
    {
        await _gate.WaitAsync();
        try
        {
            if (_address is not null)
            {
                return _address;
            }

            string[] args =
            [
                "--urls", "http://127.0.0.1:0",
                "--environment", "Development",
                $"--Cluster:SiloPort={TestEnvironment.FreeTcpPort()}",
                $"--Cluster:GatewayPort={TestEnvironment.FreeTcpPort()}",
                $"--Gateway:ManagementUrls=http://127.0.0.1:{TestEnvironment.FreeTcpPort()}",
                $"--Cluster:ClusterId=browser-{Guid.NewGuid().ToString("N")[..8]}",
                "--Auth:SigningKey=browser-tests-signing-key-0123456789-abcdef",
                "--Auth:EnableDevTokens=true",
                $"--Calls:RingTimeout={RingTimeout}",
                "--Calls:EmptyCallGrace=00:00:00",
                "--Calls:DisconnectGrace=00:00:30",
                $"--Gateway:WebClientPath={webClientPath}",
                "--Logging:LogLevel:Default=Warning",
                .. extraSettings ?? [],
            ];
            _app = GatewayApp.Build(args);
            await _app.StartAsync();
            var management = _app.Services.GetRequiredService<DmVoice.Gateway.Hosting.GatewayManagement>();
            var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
                .First(a => !management.Ports.Contains(new Uri(a).Port));
            _address = new Uri(address);
            return _address;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        _gate.Dispose();
    }
}

/// <summary>The gateways the scenarios run against: the plain one, and one whose LiveKit server is unreachable.</summary>
public sealed class BrowserGateways : IAsyncDisposable
{
    public BrowserGateway Plain { get; } = new();

    /// <summary>LiveKit configured at a loopback port where nothing listens: tokens are issued, media cannot connect.</summary>
    public BrowserGateway WithUnreachableLiveKit { get; } = new(
    [
        $"--LiveKit:Url=ws://127.0.0.1:{TestEnvironment.FreeTcpPort()}",
        "--LiveKit:ApiKey=APIbrowserTests",
        "--LiveKit:ApiSecret=browser-tests-livekit-secret-0123456789",
    ]);

    public async ValueTask DisposeAsync()
    {
        await Plain.DisposeAsync();
        await WithUnreachableLiveKit.DisposeAsync();
    }
}
