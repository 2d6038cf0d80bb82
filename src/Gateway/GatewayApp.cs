using System.Security.Claims;
using System.Text;
using System.Threading.RateLimiting;
using DmVoice.Gateway.Auth;
using DmVoice.Gateway.Endpoints;
using DmVoice.Gateway.Hosting;
using DmVoice.Gateway.LiveKit;
using DmVoice.Gateway.Observability;
using DmVoice.Gateway.Problems;
using DmVoice.Gateway.Realtime;
using DmVoice.Grains.Infrastructure;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.IdentityModel.Tokens;
using OpenTelemetry.Metrics;
using Scalar.AspNetCore;

namespace DmVoice.Gateway;

/// <summary>Builds the gateway; Program runs it and tests start it on a loopback port.</summary>
public static class GatewayApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // Settings files travel with the binaries, so the gateway runs the same from any directory.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });

        var gateway = builder.Configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>() ?? new();
        var auth = builder.Configuration.GetSection(AuthOptions.SectionName).Get<AuthOptions>() ?? new();
        auth.Validate(builder.Environment);

        builder.Services.AddOptions<GatewayOptions>().Bind(builder.Configuration.GetSection(GatewayOptions.SectionName)).ValidateOnStart();
        builder.Services.Configure<AuthOptions>(builder.Configuration.GetSection(AuthOptions.SectionName));
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = gateway.MaxRequestBodyBytes);
        var publicUrls = GatewayManagement.PublicUrls(builder.Configuration);
        var management = GatewayManagement.From(gateway.ManagementUrls, Grains.Hosting.DmVoiceClusterOptions.From(builder.Configuration).UsesRedis, publicUrls);
        builder.WebHost.UseUrls([.. publicUrls, .. management.Urls]);
        builder.Services.AddSingleton(management);
        // SIGTERM: requests in flight get this long to finish (GatewayShutdown closes the hub's connections first).
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = gateway.ShutdownTimeout);
        builder.AddDmVoiceOrleans();

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.Configure<JsonOptions>(o => o.SerializerOptions.UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Skip);

        AddAuthentication(builder.Services, auth);
        var requestLimiter = new UserRequestLimiter(gateway);
        builder.Services.AddSingleton(requestLimiter);
        AddRateLimiting(builder.Services, requestLimiter);

        builder.Services.AddSingleton<GatewayMetrics>();
        builder.Services.AddSingleton<ReadRetry>();
        builder.Services.AddSingleton<DevTokenIssuer>();
        builder.Services.AddSingleton<DisplayNameRecorder>();
        builder.Services.AddDmVoiceLiveKit(builder.Configuration);
        builder.AddDmVoiceRealtime(gateway);

        builder.Services.AddHealthChecks()
            .AddCheck<ClusterHealthCheck>("cluster", tags: ["ready"])
            .AddCheck<GatewayLeaseHealthCheck>("lease", tags: ["ready"])
            .AddCheck<GatewayStoppingHealthCheck>("stopping", tags: ["ready"]);
        // No AddMeter: a meter name would match every host's meters in the process (see HostMeters).
        // Every scrape reads the instruments afresh: Prometheus scrapes every 15 s or so, and a cached answer
        // (300 ms by default) would show a change made just before the scrape only at the next one.
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        builder.Metrics.EnableDmVoiceMeters();
        builder.Services.AddOpenApi();

        configure?.Invoke(builder);

        var app = builder.Build();

        // The zeros of watched counters (and a co-hosted silo's gauges) exist from the start, not from the
        // first request or grain that needs their owner; recorded once the exporter listens.
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            app.Services.GetRequiredService<GatewayMetrics>().Prime();
            if (app.Services.GetService<PresenceMetrics>() is { } presence)
            {
                presence.Prime();
                app.Services.GetService<CallMetrics>()?.Prime();
                app.Services.GetService<Grains.Push.PushMetrics>()?.Prime();
                Grains.LiveKit.MediaCommandMetrics.Prime();
            }
        });

        app.UseExceptionHandler();
        app.UseStatusCodePages(async context =>
        {
            // Bare status results speak problem details too, including the ones the JSON body binder
            // sets without throwing: a body over the size limit (413) or not sent as JSON (415).
            var http = context.HttpContext;
            var (code, detail) = http.Response.StatusCode switch
            {
                StatusCodes.Status404NotFound or StatusCodes.Status405MethodNotAllowed =>
                    (ErrorCodes.NotFound, $"No endpoint {http.Request.Method} {http.Request.Path}."),
                StatusCodes.Status413PayloadTooLarge => (ErrorCodes.PayloadTooLarge, "The request body is larger than allowed."),
                StatusCodes.Status400BadRequest or StatusCodes.Status415UnsupportedMediaType =>
                    (ErrorCodes.MalformedRequest, "Send the body as JSON (Content-Type: application/json) of the expected shape."),
                _ => (null, null),
            };
            if (code is not null && !http.Response.HasStarted)
            {
                await Problem.WriteAsync(http, code, detail);
            }
        });
        // Metrics only on the management port, and nothing but metrics and probes there.
        app.Use(management.InvokeAsync);
        app.UseWebClient(gateway);
        app.UseHubShutdownGate();
        app.UseAuthentication();
        app.UseRateLimiter();
        app.Use((http, next) =>
        {
            // Unknown routes are 404 for everyone: the fallback authorization policy would answer an
            // anonymous caller 401 (e.g. POST /dev/token in Production). A catch-all endpoint cannot
            // do this: it would win over endpoints with an optional body for requests without one.
            // Not async, like the hub's shutdown gate: a hub connection's request keeps no state of it.
            return http.GetEndpoint() is null
                ? Problem.WriteAsync(http, ErrorCodes.NotFound, $"No endpoint {http.Request.Method} {http.Request.Path}.")
                : next(http);
        });
        app.UseAuthorization();
        app.UseDisplayNameRecorder();

        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference("/docs").AllowAnonymous();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous().DisableRateLimiting();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") }).AllowAnonymous().DisableRateLimiting();
        app.MapPrometheusScrapingEndpoint(GatewayManagement.MetricsPath).AllowAnonymous().DisableRateLimiting();
        app.MapDevTokens();

        var api = app.MapGroup(string.Empty)
            .RequireAuthorization()
            .AddEndpointFilter<ReadRetryFilter>()
            .ProducesProblems(ProblemResponses.Common);
        api.MapDmGroups().MapVoicePresence().MapCalls().MapMe().MapVoiceChannels();
        app.MapLiveKit();
        // A connection lives no longer than the token it was opened with: the client reconnects with a fresh one.
        app.MapHub<VoiceHub>(VoiceHub.Path, o => o.CloseOnAuthenticationExpiration = true);
        return app;
    }

    private static void AddAuthentication(IServiceCollection services, AuthOptions auth)
    {
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            o.MapInboundClaims = false;
            if (!string.IsNullOrEmpty(auth.Authority))
            {
                o.Authority = auth.Authority;
                o.Audience = auth.Audience;
            }
            else
            {
                o.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = auth.Issuer,
                    ValidAudience = auth.Audience,
                    IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(auth.SigningKey!)),
                    ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                    ClockSkew = TimeSpan.FromSeconds(30),
                };
            }

            o.TokenValidationParameters.NameClaimType = "name";
            o.Events = new JwtBearerEvents
            {
                // Browsers cannot set headers on WebSockets: SignalR sends the token on the query string.
                OnMessageReceived = context =>
                {
                    var token = context.Request.Query["access_token"];
                    if (!string.IsNullOrEmpty(token) && context.HttpContext.Request.Path.StartsWithSegments(VoiceHub.Path))
                    {
                        context.Token = token;
                    }

                    return Task.CompletedTask;
                },
                OnTokenValidated = context =>
                {
                    if (!Validate.IsValidId(context.Principal?.FindFirstValue("sub")))
                    {
                        context.Fail("The token's 'sub' is not a valid user id.");
                        return Task.CompletedTask;
                    }

                    // What the request (and a hub connection, for its whole life) keeps: the claims the gateway reads, not the token.
                    context.Principal = context.Principal!.WithGatewayClaimsOnly();
                    return Task.CompletedTask;
                },
                OnChallenge = async context =>
                {
                    context.HandleResponse();
                    var detail = context.AuthenticateFailure is null
                        ? "Send a bearer token in the Authorization header."
                        : "The bearer token is invalid or expired.";
                    await Problem.WriteAsync(context.HttpContext, ErrorCodes.Unauthorized, detail);
                },
            };
        });
        // A token validated once is not validated again for a while (Auth:ValidatedTokenCacheDuration).
        services.AddValidatedTokenCache(auth);
        services.AddAuthorization(o => o.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
    }

    private static void AddRateLimiting(IServiceCollection services, UserRequestLimiter limiter)
    {
        services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = limiter.Limiter.WithTranslatedKey<HttpContext>(
                http => UserRequestLimiter.KeyFor(http.User, http.Connection.RemoteIpAddress), leaveOpen: true);
            o.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(60);
                await Problem.WriteAsync(context.HttpContext, ErrorCodes.RateLimited, "Too many requests; slow down.", retryAfter);
            };
        });
    }
}
