using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using DmVoice.Gateway.Problems;
using DmVoice.Gateway.Tests.Api;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Storage;

namespace DmVoice.Gateway.Tests.Faults;

/// <summary>
/// The line between a bug (500, logged with its trace id) and a passing fault (503, and retried when
/// the request only reads), drawn the same way for REST and the hub. The failures are injected into the
/// real silo (<see cref="GrainFaults"/>) so each side of the line can be produced on demand; the other
/// fault tests make the faults real.
/// </summary>
public sealed class BugOrFaultTests : IAsyncLifetime
{
    private readonly GrainFaults _faults = new();
    private readonly LogCapture _logs = new();
    private GatewayServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await GatewayServer.StartAsync(
        settings => settings["Gateway:RequestsPerMinute"] = "100000",
        services: services =>
        {
            services.AddSingleton<IIncomingGrainCallFilter>(_faults);
            services.AddSingleton<ILoggerProvider>(_logs);
        });

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public void Faults_are_found_however_deeply_they_are_wrapped_and_bugs_are_not_taken_for_faults()
    {
        Assert.True(TransientFaults.IsTransient(new SiloUnavailableException()));
        Assert.True(TransientFaults.IsTransient(new TimeoutException()));
        Assert.True(TransientFaults.IsTransient(new OrleansException("Error from storage provider", new Orleans.Persistence.Redis.RedisStorageException("Redis is down"))));
        Assert.True(TransientFaults.IsTransient(new AggregateException(new InvalidOperationException("first"), new InconsistentStateException("etag"))));
        Assert.True(TransientFaults.IsTransient(new OrleansException("activation failed", new AggregateException(new Orleans.Runtime.Messaging.ConnectionFailedException("gone")))));
        Assert.True(TransientFaults.IsTransient(new TaskCanceledException("an activation cancelled while its silo was frozen")));
        Assert.True(TransientFaults.IsTransient(new OperationCanceledException("Message expired before placement could complete for grain uservoice/alice.")));

        Assert.False(TransientFaults.IsTransient(new InvalidOperationException("a bug")));
        Assert.False(TransientFaults.IsTransient(new OrleansException("activation failed", new AggregateException(new NullReferenceException()))));
        Assert.False(TransientFaults.IsTransient(new DmVoiceException(ErrorCodes.NotInCall, "not in the call")));
        Assert.False(TransientFaults.IsTransient(null));
    }

    [Fact]
    public async Task A_bug_behind_a_read_is_500_internal_error_logged_with_its_trace_id_and_not_retried()
    {
        await using var alice = Rest.NewUser(_server.BaseAddress, "alice");
        await using var bob = Rest.NewUser(_server.BaseAddress, "bob");
        var dm = await alice.CreateDmAsync(bob);
        using var retries = new MeterProbe(_server, "dmvoice.gateway.read_retries", "surface");

        _faults.FailNext(nameof(IDmCallGrain.GetPresence), new InvalidOperationException("a bug with a secret in it"));
        var response = await alice.Http.GetAsync($"/dm-groups/{dm.Id}/voice-presence");

        var problem = await Rest.AssertProblemAsync(response, HttpStatusCode.InternalServerError, ErrorCodes.InternalError);
        Assert.DoesNotContain("secret", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(response.Headers.RetryAfter);
        Assert.Equal(0, retries["rest"]);
        var logged = Assert.Single(_logs.Errors, e => e.Message.Contains(problem.Str("traceId"), StringComparison.Ordinal));
        Assert.IsType<InvalidOperationException>(logged.Exception);
    }

    [Fact]
    public async Task A_read_that_meets_a_passing_fault_is_retried_and_the_client_never_sees_it()
    {
        await using var alice = Rest.NewUser(_server.BaseAddress, "alice");
        await using var bob = Rest.NewUser(_server.BaseAddress, "bob");
        var dm = await alice.CreateDmAsync(bob);
        var call = await alice.JoinAsync(dm.Id);
        using var retries = new MeterProbe(_server, "dmvoice.gateway.read_retries", "surface");

        _faults.FailNext(nameof(IDmCallGrain.GetPresence), new SiloUnavailableException("the silo is going away"));
        var presence = await bob.PresenceAsync(dm.Id);

        Assert.Equal(call.CallId, presence.CallId);
        Assert.Equal(1, retries["rest"]);
    }

    [Fact]
    public async Task A_write_that_meets_a_passing_fault_answers_503_at_once_without_a_retry_by_the_gateway()
    {
        await using var alice = Rest.NewUser(_server.BaseAddress, "alice");
        await using var bob = Rest.NewUser(_server.BaseAddress, "bob");
        var dm = await alice.CreateDmAsync(bob);
        await alice.JoinAsync(dm.Id);
        using var retries = new MeterProbe(_server, "dmvoice.gateway.read_retries", "surface");

        // The fault comes before the grain runs (as a rejected message would): nothing changed.
        _faults.FailNext(nameof(IDmCallGrain.UpdateState), new SiloUnavailableException("the silo is going away"));
        await FaultAssert.UnavailableAsync(await alice.Http.PutAsJsonAsync($"/dm-groups/{dm.Id}/voice-presence/state", new { isMuted = true }));

        Assert.Equal(0, retries["rest"]);
        Assert.False((await bob.PresenceAsync(dm.Id)).Participants.Single().IsMuted);

        // The client's own retry, after Retry-After, goes through.
        await VoiceUser.EnsureSuccessAsync(await alice.Http.PutAsJsonAsync($"/dm-groups/{dm.Id}/voice-presence/state", new { isMuted = true }));
        Assert.True((await bob.PresenceAsync(dm.Id)).Participants.Single().IsMuted);
    }

    [Fact]
    public async Task A_call_the_cluster_cancels_while_it_is_stalled_answers_503_and_not_500()
    {
        // What the soak met while a silo or Redis stalled: an activation cancelled while it waited, a
        // message that expired before placement. Both reach the gateway as cancellations.
        await using var alice = Rest.NewUser(_server.BaseAddress, "alice");
        await using var bob = Rest.NewUser(_server.BaseAddress, "bob");
        var dm = await alice.CreateDmAsync(bob);
        await alice.JoinAsync(dm.Id);

        _faults.FailNext(nameof(IDmCallGrain.UpdateState), new TaskCanceledException("A task was canceled."));
        await FaultAssert.UnavailableAsync(await alice.Http.PutAsJsonAsync($"/dm-groups/{dm.Id}/voice-presence/state", new { isMuted = true }));
        _faults.FailNext(nameof(IDmCallGrain.UpdateState), new OperationCanceledException("Message expired before placement could complete for grain uservoice/alice."));
        await FaultAssert.UnavailableAsync(await alice.Http.PutAsJsonAsync($"/dm-groups/{dm.Id}/voice-presence/state", new { isMuted = true }));
    }

    [Fact]
    public async Task Sync_is_retried_past_a_passing_fault_and_a_bug_reaches_the_client_as_internal_error()
    {
        await using var alice = Rest.NewUser(_server.BaseAddress, "alice");
        var phone = await alice.ConnectAsync();

        _faults.FailNext(nameof(IUserVoiceGrain.GetLiveCalls), new TimeoutException("Response did not arrive on time"));
        Assert.Null((await phone.Connection.InvokeAsync<MyVoiceOverview>("sync")).ActiveCall);

        _faults.FailNext(nameof(IUserVoiceGrain.GetLiveCalls), new InvalidOperationException("a bug with a secret in it"));
        var error = await Assert.ThrowsAsync<HubException>(() => phone.Connection.InvokeAsync<MyVoiceOverview>("sync"));
        Assert.Contains(ErrorCodes.InternalError + ":", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Keeps the gateway's error logs, to check what a 500 leaves behind for the operator.</summary>
    private sealed class LogCapture : ILoggerProvider
    {
        public ConcurrentQueue<(string Message, Exception? Exception)> Errors { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(LogCapture capture) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    capture.Errors.Enqueue((formatter(state, exception), exception));
                }
            }
        }
    }
}
