using System.Net;
using DmVoice.Gateway.Realtime;
using DmVoice.Gateway.Tests.Api;
using DmVoice.Gateway.Tests.Faults;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace DmVoice.Gateway.Tests.Observability;

/// <summary>
/// The metrics deploy/prometheus/alerts.yml watches move when the thing they stand for happens. Each
/// test reads its server's instruments (<see cref="MetricReader"/>: the /metrics of a test process sums
/// every server in it) and checks the series a scrape of /metrics shows under the alert's name.
/// </summary>
public sealed class AlertMetricsTests : IAsyncLifetime
{
    private readonly GrainFaults _faults = new();
    private GatewayServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await GatewayServer.StartAsync(
        settings => settings["Gateway:RequestsPerMinute"] = "100000",
        services: services => services.AddSingleton<IIncomingGrainCallFilter>(_faults));

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private Task<string> ScrapeAsync() => PrometheusText.ScrapeAsync(_server.ManagementAddress);

    [Fact]
    public async Task A_grace_expiry_that_cannot_take_the_participant_out_of_the_call_is_counted_as_a_ghost()
    {
        using var metrics = new MetricReader(_server, "dmvoice.presence.deadline_failures", "dmvoice.presence.overdue_deadlines");
        await using var alice = Rest.NewUser(_server.BaseAddress, "alice");
        await using var bob = Rest.NewUser(_server.BaseAddress, "bob");
        var dm = await alice.CreateDmAsync(bob);
        Assert.NotNull(PrometheusText.Sum(await ScrapeAsync(), "dmvoice_presence_deadline_failures_total", ("kind", "disconnect_grace")));
        Assert.NotNull(PrometheusText.Sum(await ScrapeAsync(), "dmvoice_presence_overdue_deadlines", ("kind", "disconnect_grace")));
        // Process-wide (every silo of this test process reports its grace timers there): count what this test adds.
        var before = metrics.Observe("dmvoice.presence.deadline_failures", ("kind", "disconnect_grace"));

        // A join over REST with no device connected holds the seat for the disconnect grace (30 s). When
        // the grace runs out, taking Alice out of the call fails: the call keeps her.
        await alice.JoinAsync(dm.Id);
        _faults.FailNext(nameof(IVoiceRoomGrain.Leave), new InvalidOperationException("the call could not take her out"));
        _server.Time.Advance(TimeSpan.FromSeconds(30));

        await Eventually.TrueAsync(
            () => metrics.Observe("dmvoice.presence.deadline_failures", ("kind", "disconnect_grace")) >= before + 1,
            "the failed grace expiry to be counted");
    }

    [Fact]
    public async Task A_bug_counts_as_an_internal_error_on_its_surface_REST_or_hub()
    {
        using var metrics = new MetricReader(_server, "dmvoice.gateway.internal_errors");
        await using var alice = Rest.NewUser(_server.BaseAddress, "alice");
        await using var bob = Rest.NewUser(_server.BaseAddress, "bob");
        var dm = await alice.CreateDmAsync(bob);
        var scrape = await ScrapeAsync();
        Assert.NotNull(PrometheusText.Sum(scrape, "dmvoice_gateway_internal_errors_total", ("surface", "rest")));
        Assert.NotNull(PrometheusText.Sum(scrape, "dmvoice_gateway_internal_errors_total", ("surface", "hub")));

        _faults.FailNext(nameof(IDmCallGrain.GetPresence), new InvalidOperationException("a bug"));
        await Rest.AssertProblemAsync(await alice.Http.GetAsync($"/dm-groups/{dm.Id}/voice-presence"), HttpStatusCode.InternalServerError, ErrorCodes.InternalError);
        Assert.Equal(1, metrics.Sum("dmvoice.gateway.internal_errors", ("surface", "rest")));

        var phone = await alice.ConnectAsync();
        _faults.FailNext(nameof(IUserVoiceGrain.GetLiveCalls), new InvalidOperationException("a bug"));
        await Assert.ThrowsAsync<HubException>(() => phone.Connection.InvokeAsync<MyVoiceOverview>("sync"));
        Assert.Equal(1, metrics.Sum("dmvoice.gateway.internal_errors", ("surface", "hub")));
        Assert.Equal(1, metrics.Sum("dmvoice.gateway.internal_errors", ("surface", "rest")));
    }

    [Fact]
    public async Task Events_written_to_a_device_are_timed_and_a_live_call_is_counted_until_it_ends()
    {
        using var metrics = new MetricReader(_server, "dmvoice.gateway.event_delivery.duration", "dmvoice.calls.live");
        await using var alice = Rest.NewUser(_server.BaseAddress, "alice");
        await using var bob = Rest.NewUser(_server.BaseAddress, "bob");
        var dm = await alice.CreateDmAsync(bob);
        var phone = await bob.ConnectAsync();

        await alice.JoinAsync(dm.Id);
        await phone.WaitForAsync(VoiceEventNames.CallStarted);

        await Eventually.TrueAsync(() => metrics.Histogram("dmvoice.gateway.event_delivery.duration", 0.5).Count > 0, "the events to Bob's phone to be timed");
        Assert.Equal(1, metrics.Sum("dmvoice.calls.live"));
        // Written at once to a device that reads: well inside the alert's bound of 0.5 s.
        var (count, fast) = metrics.Histogram("dmvoice.gateway.event_delivery.duration", 0.5);
        Assert.Equal(count, fast);
        var scrape = await ScrapeAsync();
        Assert.NotNull(PrometheusText.Sum(scrape, "dmvoice_gateway_event_delivery_duration_seconds_bucket", ("le", "0.5")));
        Assert.NotNull(PrometheusText.Sum(scrape, "dmvoice_calls_live"));

        await alice.LeaveAsync(dm.Id);
        _server.Time.Advance(TimeSpan.FromSeconds(11));
        await Eventually.TrueAsync(() => metrics.Sum("dmvoice.calls.live") == 0, "the call to end");
    }

    [Fact]
    public async Task A_gateway_lease_that_runs_out_counts_as_lapsed_on_the_silo_and_one_released_does_not()
    {
        using var metrics = new MetricReader(_server, "dmvoice.presence.gateway_leases_ended");
        var grains = _server.Services.GetRequiredService<IGrainFactory>();
        var lapsing = grains.GetGrain<IGatewayLeaseGrain>("lapsing-" + Guid.NewGuid().ToString("N")[..8]);
        var leaving = grains.GetGrain<IGatewayLeaseGrain>("leaving-" + Guid.NewGuid().ToString("N")[..8]);
        var scrape = await ScrapeAsync();
        Assert.NotNull(PrometheusText.Sum(scrape, "dmvoice_presence_gateway_leases_ended_total", ("how", "lapsed")));
        Assert.NotNull(PrometheusText.Sum(scrape, "dmvoice_presence_gateway_leases_ended_total", ("how", "released")));

        await leaving.Renew(TimeSpan.FromSeconds(30), continuing: false);
        await leaving.Release();
        Assert.Equal(1, metrics.Sum("dmvoice.presence.gateway_leases_ended", ("how", "released")));
        Assert.Equal(0, metrics.Sum("dmvoice.presence.gateway_leases_ended", ("how", "lapsed")));

        await lapsing.Renew(TimeSpan.FromSeconds(1), continuing: false);
        await lapsing.Track("alice");
        await Eventually.TrueAsync(() => metrics.Sum("dmvoice.presence.gateway_leases_ended", ("how", "lapsed")) == 1, "the lease to lapse");
        Assert.Equal(1, metrics.Sum("dmvoice.presence.gateway_leases_ended", ("how", "released")));
    }

    [Fact]
    public async Task A_gateway_told_that_its_lease_lapsed_counts_the_lost_lease_and_the_connections_it_closed()
    {
        using var metrics = new MetricReader(_server, "dmvoice.gateway.lease_lost", "dmvoice.gateway.connections_closed");
        await using var alice = Rest.NewUser(_server.BaseAddress, "alice");
        await using var phone = await alice.ConnectAsync();
        var lapsed = ("reason", ConnectionCloseReasons.GatewayLeaseLapsed);
        Assert.NotNull(PrometheusText.Sum(await ScrapeAsync(), "dmvoice_gateway_lease_lost_total", lapsed));

        // The cluster drops the gateway's lease (as after a partition longer than the lease); the next renewal hears it.
        var id = _server.Services.GetRequiredService<GatewayInstance>().Id;
        await _server.Services.GetRequiredService<IGrainFactory>().GetGrain<IGatewayLeaseGrain>(id).Release();
        _server.Services.GetRequiredService<GatewayLease>().RenewNow();

        await Eventually.TrueAsync(() => metrics.Sum("dmvoice.gateway.lease_lost", lapsed) == 1, "the lost lease to be counted");
        await Eventually.TrueAsync(() => metrics.Sum("dmvoice.gateway.connections_closed", lapsed) == 1, "Alice's phone to be closed");
        Assert.Equal(0, metrics.Sum("dmvoice.gateway.lease_lost", ("reason", ConnectionCloseReasons.ClusterUnreachable)));
    }
}
