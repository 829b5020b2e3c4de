// Chipmunk2D replica of diffusion_policy's PushT (pymunk 6.8 semantics) to cross-check the dyn4j port.
// stdin: line 1: 7 start-state numbers; then one action (ax ay) per line. stdout: 7-D state after reset and each step.
#include <chipmunk/chipmunk.h>
#include <stdio.h>
#include <math.h>
int main(void) {
  cpSpace *space = cpSpaceNew(); // defaults as pymunk: 10 iterations, slop 0.1, bias (1-0.1)^60
  cpSpaceSetGravity(space, cpv(0, 0));
  cpSpaceSetDamping(space, 0);
  cpBody *sb = cpSpaceGetStaticBody(space);
  cpVect w[4][2] = {{{5,506},{5,5}},{{5,5},{506,5}},{{506,5},{506,506}},{{5,506},{506,506}}};
  for (int i = 0; i < 4; i++) cpSpaceAddShape(space, cpSegmentShapeNew(sb, w[i][0], w[i][1], 2));
  cpBody *agent = cpSpaceAddBody(space, cpBodyNewKinematic());
  cpBodySetPosition(agent, cpv(256, 400));
  cpSpaceAddShape(space, cpCircleShapeNew(agent, 15, cpvzero));
  cpVect v1[4] = {{-60,30},{60,30},{60,0},{-60,0}};
  cpVect v2[4] = {{-15,30},{-15,120},{15,120},{15,30}};
  double i1 = cpMomentForPoly(1, 4, v1, cpvzero, 0);
  cpBody *block = cpSpaceAddBody(space, cpBodyNew(1, i1 + i1));
  cpShape *s1 = cpPolyShapeNew(block, 4, v1, cpTransformIdentity, 0);
  cpShape *s2 = cpPolyShapeNew(block, 4, v2, cpTransformIdentity, 0);
  cpSpaceAddShape(space, s1); cpSpaceAddShape(space, s2);
  // pymunk: (shape1.center_of_gravity + shape2.center_of_gravity) / 2
  cpBodySetCenterOfGravity(block, cpv(0, 45));
  cpBodySetPosition(block, cpv(256, 300));
  cpBodySetAngle(block, 0);
  double s[7];
  if (scanf("%lf %lf %lf %lf %lf %lf %lf", &s[0],&s[1],&s[2],&s[3],&s[4],&s[5],&s[6]) != 7) return 1;
  cpBodySetVelocity(agent, cpv(s[5], s[6]));
  cpBodySetPosition(agent, cpv(s[0], s[1]));
  cpBodySetAngle(block, s[4]);
  cpBodySetPosition(block, cpv(s[2], s[3]));
  double dt = 0.01;
  cpSpaceStep(space, dt);
  double ax, ay;
  for (;;) {
    cpVect p = cpBodyGetPosition(agent), b = cpBodyGetPosition(block), v = cpBodyGetVelocity(agent);
    double ang = fmod(cpBodyGetAngle(block), 2 * M_PI); if (ang < 0) ang += 2 * M_PI;
    printf("%.9f %.9f %.9f %.9f %.9f %.9f %.9f\n", p.x, p.y, b.x, b.y, ang, v.x, v.y);
    if (scanf("%lf %lf", &ax, &ay) != 2) break;
    cpVect target = cpvadd(cpBodyGetPosition(agent), cpvmult(cpv(ax, ay), 100));
    for (int i = 0; i < 10; i++) {
      cpVect pp = cpBodyGetPosition(agent), vv = cpBodyGetVelocity(agent);
      cpVect acc = cpvadd(cpvmult(cpvsub(target, pp), 100), cpvmult(cpvsub(cpvzero, vv), 20));
      cpBodySetVelocity(agent, cpvadd(vv, cpvmult(acc, dt)));
      cpSpaceStep(space, dt);
    }
  }
  return 0;
}
