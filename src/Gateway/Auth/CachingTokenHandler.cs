using System.Collections.Concurrent;
using System.Security.Claims;
using DmVoice.Gateway.Observability;
using Microsoft.IdentityModel.Tokens;

namespace DmVoice.Gateway.Auth;

/// <summary>
/// A <see cref="TokenHandler"/> that remembers the bearer tokens another handler found valid, so that a client
/// sending the same token with every request does not have it validated every time (base64, JSON, signature
/// and claims: a few per cent of a gateway's CPU). Keyed by the exact token string: a token altered in any
/// character, its signature included, is another key and is validated in full. Only valid results are kept;
/// an invalid token is validated again every time it comes.
/// <para>
/// An entry lives until the earlier of <c>duration</c> after its validation and the token's own expiry
/// (its <c>exp</c>, without the clock skew the handler allows), so the cache never accepts a token the
/// handler would refuse as expired. What it cannot see is a change in what the handler accepts: with an
/// OIDC authority, a token signed with a key the provider has since withdrawn is still accepted until its
/// entry ends, at most <c>duration</c> after it was validated.
/// </para>
/// <para>
/// The validation parameters are not part of the key: they are the scheme's own, the same for every request
/// (JwtBearerHandler passes each request a copy). Hits get a result of their own with a copy of the identity,
/// so no request sees what another one does to its principal.
/// </para>
/// </summary>
public sealed class CachingTokenHandler : TokenHandler
{
    private readonly TokenHandler _inner;
    private readonly TimeSpan _duration;
    private readonly int _capacity;
    private readonly TimeProvider _time;
    private readonly GatewayMetrics? _metrics;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _sweep = new();

    /// <summary>Entries in <see cref="_entries"/>, kept alongside (its Count takes every lock); recounted at each sweep.</summary>
    private int _count;

    private long _nextSweepTicks;

    /// <param name="inner">The handler that validates; its valid results are remembered.</param>
    /// <param name="duration">How long a valid result is remembered at most; zero or less remembers nothing.</param>
    /// <param name="capacity">
    /// At most this many tokens are remembered (each costs about 4 KB: the token, the parsed token and its
    /// identity). Expired entries are dropped once per <paramref name="duration"/>, on a validation; a cache
    /// that is still full then is emptied (each token costs one more validation), so a flood of distinct
    /// tokens cannot grow the memory without limit.
    /// </param>
    public CachingTokenHandler(TokenHandler inner, TimeSpan duration, int capacity, TimeProvider time, GatewayMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _inner = inner;
        _duration = duration;
        _capacity = capacity;
        _time = time;
        _metrics = metrics;
    }

    /// <summary>Tokens remembered now, expired ones not yet dropped included.</summary>
    public int Count => _entries.Count;

    public override int MaximumTokenSizeInBytes
    {
        get => _inner.MaximumTokenSizeInBytes;
        set => _inner.MaximumTokenSizeInBytes = value;
    }

    public override SecurityToken ReadToken(string token) => _inner.ReadToken(token);

    /// <summary>An already parsed token is validated by the inner handler, never answered from memory.</summary>
    public override Task<TokenValidationResult> ValidateTokenAsync(SecurityToken token, TokenValidationParameters validationParameters) =>
        _inner.ValidateTokenAsync(token, validationParameters);

    public override Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        if (_duration > TimeSpan.Zero && !string.IsNullOrEmpty(token) && _entries.TryGetValue(token, out var entry))
        {
            if (_time.GetUtcNow() < entry.Expires)
            {
                _metrics?.TokenValidation(GatewayMetrics.TokenValidationCached);
                return Task.FromResult(entry.Result());
            }

            if (_entries.TryRemove(KeyValuePair.Create(token, entry)))
            {
                Interlocked.Decrement(ref _count);
            }
        }

        return ValidateAndRememberAsync(token, validationParameters);
    }

    private async Task<TokenValidationResult> ValidateAndRememberAsync(string token, TokenValidationParameters validationParameters)
    {
        var validatedAt = _time.GetUtcNow();
        var result = await _inner.ValidateTokenAsync(token, validationParameters);
        _metrics?.TokenValidation(GatewayMetrics.TokenValidationValidated);
        if (_duration > TimeSpan.Zero && result.IsValid && !string.IsNullOrEmpty(token))
        {
            Remember(token, result, validatedAt);
        }

        return result;
    }

    private void Remember(string token, TokenValidationResult result, DateTimeOffset validatedAt)
    {
        if (result.SecurityToken is not { } securityToken || result.ClaimsIdentity is not { } identity)
        {
            return;
        }

        // Read here, before other requests share the token: JsonWebToken works out its times on first use.
        _ = securityToken.ValidFrom;
        var validTo = securityToken.ValidTo;
        if (validTo == DateTime.MinValue)
        {
            // No expiry to bound the entry by (only with RequireExpirationTime off): validated every time.
            return;
        }

        var expires = new DateTimeOffset(validTo.Ticks, TimeSpan.Zero);
        if (validatedAt + _duration < expires)
        {
            expires = validatedAt + _duration;
        }

        if (expires <= validatedAt)
        {
            return;
        }

        if (validatedAt.UtcTicks >= Interlocked.Read(ref _nextSweepTicks) || Volatile.Read(ref _count) >= _capacity)
        {
            Sweep(validatedAt);
        }

        // The request that validated keeps the handler's identity; the copy kept here is never handed out.
        var entry = new Entry(identity.Clone(), securityToken, result.Issuer, result.TokenType, expires);
        if (_entries.TryAdd(token, entry))
        {
            Interlocked.Increment(ref _count);
        }
        else
        {
            _entries[token] = entry;
        }
    }

    /// <summary>Drops expired entries, and empties the cache if it is still full.</summary>
    private void Sweep(DateTimeOffset now)
    {
        if (!_sweep.TryEnter())
        {
            return;
        }

        try
        {
            foreach (var pair in _entries)
            {
                if (pair.Value.Expires <= now)
                {
                    _entries.TryRemove(pair);
                }
            }

            if (_entries.Count >= _capacity)
            {
                _entries.Clear();
            }

            Volatile.Write(ref _count, _entries.Count);
            Interlocked.Exchange(ref _nextSweepTicks, (now + _duration).UtcTicks);
        }
        finally
        {
            _sweep.Exit();
        }
    }

    private sealed class Entry(ClaimsIdentity identity, SecurityToken token, string? issuer, string? tokenType, DateTimeOffset expires)
    {
        public DateTimeOffset Expires { get; } = expires;

        /// <summary>A result of its own for each request, with its own copy of the identity; the parsed token is read-only by now.</summary>
        public TokenValidationResult Result() => new()
        {
            IsValid = true,
            SecurityToken = token,
            ClaimsIdentity = identity.Clone(),
            Issuer = issuer,
            TokenType = tokenType,
        };
    }
}
