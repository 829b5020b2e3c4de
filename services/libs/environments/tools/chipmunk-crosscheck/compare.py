# Compares two state traces (Chipmunk replica, dyn4j port): block position/angle and agent differences.
import sys, math
a=[list(map(float,l.split())) for l in open(sys.argv[1]) if l[0].isdigit() or l[0]=='-']
b=[list(map(float,l.split())) for l in open(sys.argv[2]) if l[0].isdigit() or l[0]=='-']
n=min(len(a),len(b)); worst=0
def ad(x,y):
    d=abs(x-y)%(2*math.pi); return min(d,2*math.pi-d)
rows=[]
for t in range(n):
    dp=math.hypot(a[t][2]-b[t][2],a[t][3]-b[t][3]); da=ad(a[t][4],b[t][4]); dg=math.hypot(a[t][0]-b[t][0],a[t][1]-b[t][1])
    rows.append((t,dp,da,dg))
mv=math.hypot(a[n-1][2]-a[0][2],a[n-1][3]-a[0][3]); turn=ad(a[n-1][4],a[0][4])
print(f"{sys.argv[3]}: steps {n-1}; block travel (chipmunk) {mv:.1f}px turn {turn:.3f}rad; max |block pos diff| {max(r[1] for r in rows):.2f}px, max |angle diff| {max(r[2] for r in rows):.4f}rad, final pos diff {rows[-1][1]:.2f}px angle {rows[-1][2]:.4f}; agent max diff {max(r[3] for r in rows):.3f}px")
