using System.Globalization;
using System.Text;
using System.Threading.Channels;

namespace Patron.Bench.Seed;

/// <summary>Command-line options of the seeder.</summary>
public sealed record SeedOptions(
    string Provider, string? DataDir, string? ConnectionString, int Customers, long Entries,
    string AdminKey, string OutFile, int Sample, int Seed)
{
    public const string Usage =
        "usage: Patron.Bench.Seed (--provider sqlite --data DIR | --provider postgres --connection CS)\n" +
        "       --customers N --entries M --admin-key sk_... --out FILE [--sample K] [--seed S]";

    public static SeedOptions? Parse(string[] args)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                return null;
            }
            map[args[i][2..]] = args[i + 1];
        }
        string? Get(string name) => map.TryGetValue(name, out var v) ? v : null;
        var provider = (Get("provider") ?? "sqlite").ToLowerInvariant();
        if (provider is not ("sqlite" or "postgres")
            || (provider == "sqlite" && Get("data") is null)
            || (provider == "postgres" && Get("connection") is null)
            || Get("admin-key") is not { Length: >= 16 } key
            || Get("out") is not { } outFile)
        {
            return null;
        }
        return new SeedOptions(provider, Get("data"), Get("connection"),
            int.Parse(Get("customers") ?? "100000", CultureInfo.InvariantCulture),
            long.Parse(Get("entries") ?? "1000000", CultureInfo.InvariantCulture),
            key, outFile,
            int.Parse(Get("sample") ?? "200000", CultureInfo.InvariantCulture),
            int.Parse(Get("seed") ?? "42", CultureInfo.InvariantCulture));
    }
}

/// <summary>How big the dataset is and when things happened (all in the past, so the server's new ids sort after).</summary>
public sealed record DatasetPlan(int Customers, long Entries, int Seed, long NowMs)
{
    private const long Day = 86_400_000;

    /// <summary>Customers sign up over 30 days, 400 to 370 days ago: distinct, increasing milliseconds.</summary>
    public long CustomerCreatedAt(int n) => NowMs - 400 * Day + (long)((double)n * (30 * Day) / Customers);

    /// <summary>Ledger entries spread over the last 365 days, after every customer exists.</summary>
    public long EntryCreatedAt(long i) => NowMs - 365 * Day + (long)((double)i * (364 * Day) / Entries);
}

public struct EntryRow
{
    public string Id;
    public string CustomerId;
    public long Points;
    public string Type;
    public string Description;
    public long BalanceAfter;
    public long CreatedAt;

    /// <summary>What is left of a positive entry (a lot) after later deductions took from it, oldest first.</summary>
    public long Remaining;
}

public struct CustomerRow
{
    public string Id;
    public string ExternalId;
    public string Email;
    public string Phone;
    public string FirstName;
    public string LastName;
    public string? Birthday;
    public long PointsBalance;
    public long LifetimePoints;
    public long PointsSpent;
    public string ReferralCode;
    public string QrCode;
    public string SearchText;
    public long CreatedAt;
    public long UpdatedAt;
}

/// <summary>
/// Generates the dataset deterministically from the seed. A first pass simulates the whole ledger
/// in memory: entries in time (= id) order for random customers, each customer's counters, and the
/// FIFO lots (what deductions take from the oldest positive entries, as Patron's Ledger does). So
/// every row written afterwards agrees with the rules: points_balance = sum of points, the lots'
/// remainders add up to the balance, lifetime_points = sum of positive earned/adjusted entries,
/// points_spent = sum of redemptions (docs/ARCHITECTURE.md).
/// </summary>
public sealed class Generator
{
    public const int BatchSize = 8192;
    private const string Crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private const string CodeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"; // as Ids.Token: no 0/O, 1/I/L
    private static readonly string[] FirstNames =
        ["Ada", "Alan", "Grace", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Frances", "Edsger", "Radia", "Donald",
         "Sophie", "John", "Hedy", "Tim", "Katherine", "Niklaus", "Lynn", "Guido"];
    private static readonly string[] LastNames =
        ["Lovelace", "Turing", "Hopper", "Torvalds", "Liskov", "Thompson", "Hamilton", "Ritchie", "Allen", "Dijkstra",
         "Perlman", "Knuth", "Wilson", "McCarthy", "Lamarr", "Berners-Lee", "Johnson", "Wirth", "Conway", "van Rossum"];
    private static readonly string[] Types = ["earned", "adjusted", "redeemed"];
    private static readonly string[] Descriptions = ["Purchase", "Goodwill", "Reward redemption"];

    private readonly DatasetPlan _plan;
    private readonly long[] _balance, _lifetime, _spent, _updatedAt;
    private readonly int[] _entryCustomer, _entryPoints, _entryRemaining;
    private readonly long[] _entryBalanceAfter;
    private readonly byte[] _entryType;

    public Generator(DatasetPlan plan, string programId, string keyId)
    {
        _plan = plan;
        ProgramId = programId;
        KeyId = keyId;
        var rng = new Random(plan.Seed);
        CustomerIds = new string[plan.Customers];
        for (var n = 0; n < plan.Customers; n++)
        {
            CustomerIds[n] = Ulid("cus_", plan.CustomerCreatedAt(n), rng);
        }
        _balance = new long[plan.Customers];
        _lifetime = new long[plan.Customers];
        _spent = new long[plan.Customers];
        _updatedAt = new long[plan.Customers];
        var m = checked((int)plan.Entries);
        _entryCustomer = new int[m];
        _entryPoints = new int[m];
        _entryRemaining = new int[m];
        _entryBalanceAfter = new long[m];
        _entryType = new byte[m];
        Simulate();
    }

    public string ProgramId { get; }
    public string KeyId { get; }
    public string[] CustomerIds { get; }
    public DatasetPlan Plan => _plan;

    private void Simulate()
    {
        var rng = new Random(_plan.Seed + 1);
        // Per customer, a FIFO list of entries that still have a remainder: head, tail, next.
        var head = new int[_plan.Customers];
        var tail = new int[_plan.Customers];
        Array.Fill(head, -1);
        var next = new int[_entryCustomer.Length];
        for (var i = 0; i < _entryCustomer.Length; i++)
        {
            var c = rng.Next(_plan.Customers);
            var roll = rng.Next(100);
            var before = _balance[c];
            int points;
            byte type;
            if (roll < 18 && before >= 50)
            {
                points = -(int)Math.Min(before, 50 + rng.Next(451));
                type = 2; // redeemed
                _spent[c] -= points;
            }
            else
            {
                (points, type) = roll < 20 ? (1 + rng.Next(100), (byte)1) : (10 + rng.Next(491), (byte)0); // adjusted, earned
                _lifetime[c] += points;
            }
            var after = before + points;
            _balance[c] = after;
            _updatedAt[c] = _plan.EntryCreatedAt(i);
            _entryCustomer[i] = c;
            _entryPoints[i] = points;
            _entryType[i] = type;
            _entryBalanceAfter[i] = after;
            next[i] = -1;
            if (points > 0)
            {
                // LedgerRules.LotRemaining: earnings pay any debt first (there is none here).
                _entryRemaining[i] = (int)Math.Clamp(before + points, 0, points);
                if (_entryRemaining[i] > 0)
                {
                    if (head[c] < 0)
                    {
                        head[c] = i;
                    }
                    else
                    {
                        next[tail[c]] = i;
                    }
                    tail[c] = i;
                }
            }
            else
            {
                // LedgerRules.TakenFromLots: oldest lot first.
                var take = Math.Min(-(long)points, Math.Max(before, 0));
                while (take > 0)
                {
                    var lot = head[c];
                    var part = Math.Min(take, _entryRemaining[lot]);
                    _entryRemaining[lot] -= (int)part;
                    take -= part;
                    if (_entryRemaining[lot] == 0)
                    {
                        head[c] = next[lot];
                    }
                }
            }
        }
    }

    /// <summary>Ledger entries in batches, formatted on another thread while the caller writes.</summary>
    public ChannelReader<EntryRow[]> EntryBatches()
    {
        var channel = Channel.CreateBounded<EntryRow[]>(new BoundedChannelOptions(16) { SingleReader = true, SingleWriter = true });
        _ = Task.Run(async () =>
        {
            try
            {
                var rng = new Random(_plan.Seed + 2);
                var batch = new EntryRow[Math.Min(BatchSize, Math.Max(1, _entryCustomer.Length))];
                var filled = 0;
                for (var i = 0; i < _entryCustomer.Length; i++)
                {
                    var at = _plan.EntryCreatedAt(i);
                    batch[filled++] = new EntryRow
                    {
                        Id = Ulid("ptx_", at, rng),
                        CustomerId = CustomerIds[_entryCustomer[i]],
                        Points = _entryPoints[i],
                        Type = Types[_entryType[i]],
                        Description = Descriptions[_entryType[i]],
                        BalanceAfter = _entryBalanceAfter[i],
                        CreatedAt = at,
                        Remaining = _entryRemaining[i],
                    };
                    if (filled == batch.Length)
                    {
                        await channel.Writer.WriteAsync(batch);
                        batch = new EntryRow[batch.Length];
                        filled = 0;
                    }
                }
                if (filled > 0)
                {
                    await channel.Writer.WriteAsync(batch[..filled]);
                }
                channel.Writer.Complete();
            }
            catch (Exception e)
            {
                channel.Writer.Complete(e);
            }
        });
        return channel.Reader;
    }

    /// <summary>Customer rows with their final counters; call after every entry batch was consumed.</summary>
    public IEnumerable<CustomerRow[]> CustomerBatches()
    {
        var batch = new CustomerRow[Math.Min(BatchSize, Math.Max(1, _plan.Customers))];
        var filled = 0;
        for (var n = 0; n < _plan.Customers; n++)
        {
            batch[filled++] = Customer(n);
            if (filled == batch.Length)
            {
                yield return batch;
                batch = new CustomerRow[batch.Length];
                filled = 0;
            }
        }
        if (filled > 0)
        {
            yield return batch[..filled];
        }
    }

    private CustomerRow Customer(int n)
    {
        var number = n + 1;
        var first = FirstNames[number % FirstNames.Length];
        var last = LastNames[number / FirstNames.Length % LastNames.Length];
        var email = string.Create(CultureInfo.InvariantCulture, $"user{number}@example.com");
        var created = _plan.CustomerCreatedAt(n);
        return new CustomerRow
        {
            Id = CustomerIds[n],
            ExternalId = string.Create(CultureInfo.InvariantCulture, $"ext-{number}"),
            Email = email,
            Phone = string.Create(CultureInfo.InvariantCulture, $"+1555{number:D8}"),
            FirstName = first,
            LastName = last,
            Birthday = number % 3 == 0 ? string.Create(CultureInfo.InvariantCulture, $"{1950 + number % 50}-{1 + number % 12:D2}-{1 + number % 28:D2}") : null,
            PointsBalance = _balance[n],
            LifetimePoints = _lifetime[n],
            PointsSpent = _spent[n],
            // Unique by construction: a bijection of the number modulo 31^8, then (for QR) random filler.
            ReferralCode = Code(number, 8, 25_214_903_917),
            QrCode = "pq_" + Code(number, 8, 44_485_709_377) + RandomCode(16, number),
            SearchText = $"{first} {last} {email}".ToLowerInvariant(),
            CreatedAt = created,
            UpdatedAt = Math.Max(created, _updatedAt[n]),
        };
    }

    /// <summary>Writes "id email external_id phone balance" lines for the wrk scripts: all customers, or a random sample.</summary>
    public int WriteSample(string path, int sample)
    {
        var count = _plan.Customers;
        var order = Enumerable.Range(0, count).ToArray();
        if (sample > 0 && sample < count)
        {
            var rng = new Random(_plan.Seed + 2);
            for (var i = 0; i < sample; i++)
            {
                var j = rng.Next(i, count);
                (order[i], order[j]) = (order[j], order[i]);
            }
            count = sample;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        for (var i = 0; i < count; i++)
        {
            var n = order[i];
            var number = n + 1;
            writer.Write(string.Create(CultureInfo.InvariantCulture,
                $"{CustomerIds[n]} user{number}@example.com ext-{number} +1555{number:D8} {_balance[n]}\n"));
        }
        return count;
    }

    /// <summary>The format of Patron's ids (Domain/Ids.cs): prefix + 48-bit ms + 80 random bits in Crockford base32.</summary>
    public static string Ulid(string prefix, long ms, Random rng)
    {
        var random = new UInt128((ulong)rng.NextInt64() & 0xFFFF, (ulong)rng.NextInt64() ^ ((ulong)rng.Next() << 63));
        var value = ((UInt128)(ulong)ms << 80) | random;
        return string.Create(prefix.Length + 26, (prefix, value), static (span, state) =>
        {
            state.prefix.AsSpan().CopyTo(span);
            var v = state.value;
            for (var i = span.Length - 1; i >= state.prefix.Length; i--)
            {
                span[i] = Crockford[(int)(v & 31)];
                v >>= 5;
            }
        });
    }

    private static string Code(long number, int length, long multiplier)
    {
        long modulus = 1;
        for (var i = 0; i < length; i++)
        {
            modulus *= CodeAlphabet.Length;
        }
        var v = (long)((UInt128)(ulong)number * (ulong)multiplier % (ulong)modulus);
        return string.Create(length, v, static (span, v) =>
        {
            for (var i = span.Length - 1; i >= 0; i--)
            {
                span[i] = CodeAlphabet[(int)(v % CodeAlphabet.Length)];
                v /= CodeAlphabet.Length;
            }
        });
    }

    private static string RandomCode(int length, int number)
    {
        var x = (ulong)number * 0x9E3779B97F4A7C15UL;
        return string.Create(length, x, static (span, x) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                x ^= x >> 29;
                x *= 0xBF58476D1CE4E5B9UL;
                x ^= x >> 32;
                span[i] = CodeAlphabet[(int)(x % (ulong)CodeAlphabet.Length)];
            }
        });
    }
}
