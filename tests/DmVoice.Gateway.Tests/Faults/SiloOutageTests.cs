using System.Net;
using System.Net.Http.Json;
using DmVoice.Gateway.Tests.Api;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace DmVoice.Gateway.Tests.Faults;

/// <summary>
/// A gateway whose only silo is gone (stopped, as when it crashes or fails over): the cluster cannot
/// be reached, but nothing is wrong with the requests. Every REST call, the hub's sync and a new
/// connection are told so with the stable code and when to retry, never with a 500.
/// </summary>
public sealed class SiloOutageTests : IAsyncLifetime
{
    private readonly StandaloneSilo _silo = new(settings: FaultAssert.QuickTimeouts());
    private GatewayServer _gateway = null!;

    public async ValueTask InitializeAsync()
    {
        await _silo.StartAsync();
        _gateway = await _silo.StartGatewayAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _silo.DisposeAsync();
    }

    [Fact]
    public async Task While_the_silo_is_gone_every_REST_call_answers_503_temporarily_unavailable_with_retry_after_and_never_500()
    {
        await using var scenario = await CallScenario.StartAsync(_gateway.BaseAddress);
        using var unavailable = new MeterProbe(_gateway, "dmvoice.gateway.unavailable", "surface");
        using var retries = new MeterProbe(_gateway, "dmvoice.gateway.read_retries", "surface");

        await _silo.StopAsync();

        foreach (var endpoint in ApiEndpoints.All)
        {
            var response = await scenario.For(endpoint.Actor).SendAsync(endpoint.Method, scenario.Fill(endpoint.Path), endpoint.Body is null ? null : scenario.Fill(endpoint.Body));
            var problem = await FaultAssert.UnavailableAsync(response);
            Assert.Equal(scenario.Fill(endpoint.Path).Split('?')[0], problem.Str("instance"));
        }

        // Reads were tried again before giving up; writes were not.
        var reads = ApiEndpoints.All.Count(e => e.Method == "GET");
        Assert.Equal(ApiEndpoints.All.Count, unavailable["rest"]);
        Assert.InRange(retries["rest"], reads, reads * 2);

        // A silo is back (with empty in-memory state: a new cluster). The same gateway serves requests again
        // once it has reconnected, without a restart of its own.
        await _silo.StartAsync();
        var created = await Eventually.GetAsync(
            () => scenario.Caller.SendAsync("POST", "/dm-groups", $$"""{"memberIds":["{{scenario.Rung.UserId}}","{{scenario.Other.UserId}}"]}"""),
            response => response.StatusCode != HttpStatusCode.ServiceUnavailable,
            "the gateway to reach the silo again",
            TimeSpan.FromSeconds(30));
        await Rest.AssertStatusAsync(created, HttpStatusCode.Created);
    }

    [Fact]
    public async Task While_the_silo_is_gone_sync_fails_with_the_code_and_a_new_connection_is_turned_away_with_reconnecting_allowed()
    {
        await using var alice = Rest.NewUser(_gateway.BaseAddress, "alice");
        var phone = await alice.ConnectAsync();

        await _silo.StopAsync();

        var error = await Assert.ThrowsAsync<HubException>(() => phone.Connection.InvokeAsync<MyVoiceOverview>("sync"));
        Assert.Contains(ErrorCodes.TemporarilyUnavailable + ":", error.Message, StringComparison.Ordinal);
        Assert.Contains("retry after", error.Message, StringComparison.Ordinal);

        // A device connecting now cannot be registered with the user's grain: it is closed with the code,
        // and (unlike a failure SignalR closes itself) its client is allowed to reconnect.
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var laptop = new HubConnectionBuilder()
            .WithUrl(new Uri(_gateway.BaseAddress, "/hubs/voice"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(alice.Token))
            .WithAutomaticReconnect(new NeverRetry(closed))
            .Build();
        await laptop.StartAsync();
        var reason = await closed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains(ErrorCodes.TemporarilyUnavailable, reason?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_gateway_cut_off_for_a_lease_term_closes_its_connections_as_cluster_unreachable_turns_new_ones_away_and_takes_them_again_once_back()
    {
        await using var gateway = await _silo.StartGatewayAsync(settings =>
        {
            settings["Gateway:LeaseTimeout"] = "00:00:03";
            settings["Gateway:LeaseRenewInterval"] = "00:00:01";
        });
        await using var alice = Rest.NewUser(gateway.BaseAddress, "alice");
        var phone = await alice.ConnectAsync();

        await _silo.StopAsync();

        // Its events may be lost while the gateway cannot renew: the device is told so, and why.
        await Eventually.TrueAsync(() => !phone.CloseErrors.IsEmpty, "the gateway to close the connection it cannot serve", TimeSpan.FromSeconds(30));
        Assert.Contains(ConnectionCloseReasons.ClusterUnreachable, phone.CloseErrors.Single(), StringComparison.Ordinal);

        // A device that connects now is turned away with the same reason, and may reconnect (to any gateway).
        var turnedAway = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (var laptop = new HubConnectionBuilder()
            .WithUrl(new Uri(gateway.BaseAddress, "/hubs/voice"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(alice.Token))
            .WithAutomaticReconnect(new NeverRetry(turnedAway))
            .Build())
        {
            await laptop.StartAsync();
            var reason = await turnedAway.Task.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Contains(ConnectionCloseReasons.ClusterUnreachable, reason?.Message, StringComparison.Ordinal);
        }

        // The cluster is back: the gateway holds a lease again and takes devices, which sync.
        await _silo.StartAsync();
        var synced = await Eventually.GetAsync(
            async () =>
            {
                try
                {
                    var device = await alice.ConnectAsync();
                    return device.Synced;
                }
                catch (Exception ex) when (ex is HubException or InvalidOperationException or IOException or OperationCanceledException or HttpRequestException)
                {
                    return null;
                }
            },
            overview => overview is not null,
            "a device to connect and sync once the cluster is back",
            TimeSpan.FromSeconds(30));
        Assert.Null(synced!.ActiveCall);
    }

    /// <summary>
    /// A reconnect policy that records the close that asked for a reconnect and then stops: SignalR asks
    /// the policy only when the server allowed reconnecting.
    /// </summary>
    private sealed class NeverRetry(TaskCompletionSource<Exception?> reconnectRequested) : IRetryPolicy
    {
        public TimeSpan? NextRetryDelay(RetryContext retryContext)
        {
            reconnectRequested.TrySetResult(retryContext.RetryReason);
            return null;
        }
    }
}
