using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DmVoice.Gateway.Tests.Presence;

/// <summary>
/// The first moments of a gateway's shutdown, in process: the host is told to stop (what SIGTERM does)
/// but its server is not stopped yet, so what the gateway answers while it stops can be asked at leisure.
/// The whole sequence with real processes and a load balancer is in <c>Cluster/GatewayShutdownTests</c>.
/// </summary>
public sealed class GatewayStoppingTests : IAsyncLifetime
{
    private GatewayServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await GatewayServer.StartAsync();

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Once_asked_to_stop_the_gateway_closes_open_connections_with_gateway_shutting_down_is_not_ready_and_turns_new_hub_connections_away_with_503()
    {
        await using var alice = await VoiceUser.CreateAsync(_server, "alice");
        var phone = await alice.ConnectAsync();
        using var ready = await alice.Http.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

        _server.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();

        // The open connection was told why, with reconnecting allowed.
        await Eventually.TrueAsync(() => !phone.CloseErrors.IsEmpty, "the gateway to close the open connection");
        Assert.Contains(ConnectionCloseReasons.GatewayShuttingDown, Assert.Single(phone.CloseErrors), StringComparison.Ordinal);

        // Load balancers are told to send nothing new here.
        using var notReady = await alice.Http.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);

        // A new hub connection is refused before anything is upgraded, with the usual problem body; REST still answers.
        using var negotiate = new HttpRequestMessage(HttpMethod.Post, "/hubs/voice/negotiate?negotiateVersion=1");
        negotiate.Headers.Authorization = new AuthenticationHeaderValue("Bearer", alice.Token);
        using var refused = await alice.Http.SendAsync(negotiate);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        using var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
        Assert.Equal(ErrorCodes.TemporarilyUnavailable, problem.RootElement.GetProperty("code").GetString());
        await Assert.ThrowsAnyAsync<Exception>(() => alice.ConnectAsync());
        using var me = await alice.Http.GetAsync("/me/voice");
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
    }
}
